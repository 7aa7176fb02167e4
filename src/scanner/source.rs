//! Frame sources. The fixture source plays a folder of images (or a list of
//! files) in name order at a set frame rate: the demo's camera when no camera
//! is found, and the tests' camera.

use image::GrayImage;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("camera folder {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("camera folder {0} holds no PNG or JPEG images")]
    Empty(PathBuf),
}

/// Plays images in order, looping, one per `interval`.
pub struct FixtureSource {
    files: Vec<PathBuf>,
    next: usize,
    pub interval: Duration,
}

impl FixtureSource {
    pub fn from_folder(dir: &Path, fps: u32) -> Result<FixtureSource, SourceError> {
        let entries = std::fs::read_dir(dir).map_err(|source| SourceError::Folder {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    ["png", "jpg", "jpeg"].contains(&e.to_ascii_lowercase().as_str())
                })
            })
            .collect();
        files.sort();
        FixtureSource::from_files(files, fps).ok_or_else(|| SourceError::Empty(dir.to_path_buf()))
    }

    /// None when `files` is empty.
    pub fn from_files(files: Vec<PathBuf>, fps: u32) -> Option<FixtureSource> {
        (!files.is_empty()).then(|| FixtureSource {
            files,
            next: 0,
            interval: Duration::from_millis(1000 / u64::from(fps.max(1))),
        })
    }

    /// The next frame's file and image; unreadable files are skipped.
    pub fn next_frame(&mut self) -> Option<(PathBuf, GrayImage)> {
        for _ in 0..self.files.len() {
            let path = self.files[self.next].clone();
            self.next = (self.next + 1) % self.files.len();
            if let Ok(img) = image::open(&path) {
                return Some((path, img.to_luma8()));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plays_images_in_name_order_and_loops() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.png", "a.png", "c.jpg", "notes.txt"] {
            let path = dir.path().join(name);
            if name.ends_with(".txt") {
                std::fs::write(&path, "x").unwrap();
            } else {
                GrayImage::new(4, 4).save(&path).unwrap();
            }
        }
        let mut s = FixtureSource::from_folder(dir.path(), 10).unwrap();
        assert_eq!(s.interval, Duration::from_millis(100));
        let names: Vec<String> = (0..4)
            .map(|_| {
                s.next_frame()
                    .unwrap()
                    .0
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a.png", "b.png", "c.jpg", "a.png"]);
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            FixtureSource::from_folder(empty.path(), 10),
            Err(SourceError::Empty(_))
        ));
        assert!(FixtureSource::from_folder(&empty.path().join("gone"), 10).is_err());
    }
}
