use super::*;

const GOOD: &str = "[till]\nid = \"kafe-1\"\nmode = \"cashier\"\n\n[qr]\ntrusted_keys = [\"ts52GlVUWWXP-szEDveSILg_nCW4SBbZqauxHo0uhLQ\"]\n\n[scale]\nport = \"/dev/ttyUSB0\"\nprotocol = \"mt-sics\"\n\n[printer]\ntarget = \"file:receipts.bin\"\n";

#[test]
fn reads_the_repo_config() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
    let c = Config::load(&path).unwrap();
    assert_eq!(c.till_id, "kafe-1");
    assert!(
        !c.warnings().is_empty(),
        "the repo config trusts the demo key and says so"
    );
}

#[test]
fn pins_are_hashed_and_checked() {
    let h = hash_pin("2468").unwrap();
    assert!(h.starts_with("$argon2id$"), "{h}");
    assert!(!h.contains("2468"));
    assert!(verify_pin(&h, "2468"));
    assert!(!verify_pin(&h, "2469"));
    assert!(!verify_pin("not a hash", "2468"));
    assert_ne!(hash_pin("2468").unwrap(), h, "salted");
}

#[test]
fn good_file() {
    let c = Config::parse(Path::new("/etc/kasse/config.toml"), GOOD).unwrap();
    assert_eq!(c.mode, Mode::Cashier);
    assert_eq!(c.scale.protocol, "mt-sics");
    assert_eq!(c.scale.stable_ms, 300);
    assert_eq!(
        c.printer,
        PrinterTarget::File(PathBuf::from("/etc/kasse/receipts.bin"))
    );
    assert_eq!(c.store_path, PathBuf::from("/etc/kasse/kasse.sqlite"));
}

#[test]
fn the_receipt_link_is_https_and_ends_with_a_slash() {
    let c = Config::parse(Path::new("/etc/kasse/config.toml"), GOOD).unwrap();
    assert_eq!(c.receipt_url, crate::domain::receipt_link::DEMO_BASE);
    let set = |url: &str| {
        let text = format!("{GOOD}[receipt]\nverify_url = \"{url}\"\n");
        Config::parse(Path::new("/etc/kasse/config.toml"), &text)
    };
    assert_eq!(
        set("https://kvittering.sio.no/r/").unwrap().receipt_url,
        "https://kvittering.sio.no/r/"
    );
    for bad in [
        "http://kvittering.sio.no/r/",
        "https://kvittering.sio.no/r",
        "https://kvittering.sio.no/r/?x=",
        "kasse:receipt:",
    ] {
        let e = set(bad).unwrap_err().to_string();
        assert!(e.contains("verify_url"), "{bad}: {e}");
    }
}

#[test]
fn payment_providers_and_their_tables() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), "s3cret\n").unwrap();
    std::fs::write(dir.path().join("key.txt"), "subscription-key").unwrap();
    let path = dir.path().join("config.toml");
    let text = format!(
        "{GOOD}[payment]\ncard = \"nexo\"\nvipps = \"epayment\"\ntimeout_ms = 45000\n\n\
         [payment.nexo]\nurl = \"https://192.168.1.20:8443/nexo\"\nsale_id = \"kafe-1\"\npoi_id = \"V400m-324688179\"\n\n\
         [payment.epayment]\nbase_url = \"https://apitest.vipps.no/\"\nclient_id = \"id\"\n\
         client_secret_file = \"secret.txt\"\nsubscription_key_file = \"key.txt\"\nmerchant_serial_number = \"123456\"\n"
    );
    let p = Config::parse(&path, &text).unwrap().payment;
    assert_eq!(
        (p.card, p.vipps, p.emulators),
        (CardProvider::Nexo, VippsProvider::Epayment, false)
    );
    let nexo = p.nexo.unwrap();
    assert_eq!(
        (nexo.poi_id.as_str(), nexo.timeout_ms),
        ("V400m-324688179", 45_000)
    );
    let e = p.epayment.unwrap();
    assert_eq!(e.base_url, "https://apitest.vipps.no");
    assert_eq!(
        (e.client_secret.as_str(), e.subscription_key.as_str()),
        ("s3cret", "subscription-key")
    );
    assert_eq!((e.poll_ms, e.timeout_ms), (2000, 45_000));
    assert!(
        !format!("{e:?}").contains("s3cret"),
        "secrets stay out of logs"
    );

    // The demo: real providers, no tables, emulators.
    let demo =
        format!("{GOOD}[payment]\ncard = \"nexo\"\nvipps = \"epayment\"\nemulators = true\n");
    let p = Config::parse(&path, &demo).unwrap().payment;
    assert!(p.emulators && p.nexo.is_none() && p.epayment.is_none());
    // No [payment]: the simulators, as before.
    let p = Config::parse(&path, GOOD).unwrap().payment;
    assert_eq!(p, PaymentConfig::default());

    let table = [
        ("card = \"nexo\"", "card"),
        ("card = \"ingenico\"", "card"),
        ("vipps = \"mobilepay\"", "vipps"),
        ("vipps = \"epayment\"", "vipps"),
        (
            "[payment.nexo]\nurl = \"ftp://terminal\"\nsale_id = \"k\"\npoi_id = \"p\"",
            "url",
        ),
        (
            "[payment.nexo]\nurl = \"http://10.0.0.2/nexo\"\nsale_id = \"\"\npoi_id = \"p\"",
            "sale_id",
        ),
        (
            "[payment.nexo]\nurl = \"http://10.0.0.2/nexo\"\nsale_id = \"k\"",
            "poi_id",
        ),
        (
            "[payment.epayment]\nbase_url = \"http://api.vipps.no\"\nclient_id = \"i\"\nclient_secret_file = \"secret.txt\"\nsubscription_key_file = \"key.txt\"\nmerchant_serial_number = \"123456\"",
            "base_url",
        ),
        (
            "[payment.epayment]\nbase_url = \"https://api.vipps.no\"\nclient_id = \"i\"\nclient_secret_file = \"nope.txt\"\nsubscription_key_file = \"key.txt\"\nmerchant_serial_number = \"123456\"",
            "client_secret_file",
        ),
        (
            "[payment.epayment]\nbase_url = \"https://api.vipps.no\"\nclient_id = \"i\"\nclient_secret_file = \"secret.txt\"\nsubscription_key_file = \"key.txt\"\nmerchant_serial_number = \"12\"",
            "merchant_serial_number",
        ),
    ];
    for (payment, key) in table {
        let text = format!("{GOOD}[payment]\n{payment}\n");
        let e = Config::parse(&path, &text).unwrap_err();
        assert_eq!(e.key.as_deref(), Some(key), "{payment}: {e}");
        assert!(e.line.is_some_and(|l| l > 14), "{payment}: {e}");
    }
}

#[test]
fn malformed_files_name_line_and_key() {
    let table = [
        (GOOD.replace("kafe-1", "Kafe 1"), 2, "id"),
        (GOOD.replace("cashier", "robot"), 3, "mode"),
        (GOOD.replace("ts52GlVUWWXP", "xx"), 6, "trusted_keys"),
        (GOOD.replace("mt-sics", "morse"), 10, "protocol"),
        (GOOD.replace("file:receipts.bin", "lpt1"), 13, "target"),
        (GOOD.replace("port = ", "prot = "), 9, "prot"),
        (GOOD.replace("[scale]", "[scael]"), 8, "scael"),
        (GOOD.replace("mode = \"cashier\"", "mode = 3"), 3, "mode"),
        (format!("{GOOD}[scanner]\ncamera = -1\n"), 15, "camera"),
        (format!("{GOOD}[scanner]\nfps = 0\n"), 15, "fps"),
        (
            format!("{GOOD}[scanner]\ndecode_budget_ms = 0\n"),
            15,
            "decode_budget_ms",
        ),
        (
            format!("{GOOD}[kiosk]\nlanguage = \"de\"\n"),
            15,
            "language",
        ),
        (
            format!("{GOOD}[kiosk]\nstill_there_s = 5\n"),
            15,
            "still_there_s",
        ),
        (
            format!("{GOOD}[[staff]]\nid = \"kari\"\nname = \"Kari\"\npin_hash = \"1234\"\n"),
            17,
            "pin_hash",
        ),
    ];
    for (text, line, key) in table {
        let e = Config::parse(Path::new("config.toml"), &text).unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(line), Some(key)), "{e}");
        assert!(e.to_string().starts_with("config.toml:"), "{e}");
    }
}

#[test]
fn plain_http_only_to_this_machine_decided_on_the_parsed_host() {
    for ok in [
        "https://ledger.sio.no",
        "http://127.0.0.1:7070",
        "http://localhost:7070/x",
        "http://[::1]:7070",
        "http://127.0.0.2",
    ] {
        assert!(secure_or_local(ok), "{ok}");
    }
    for bad in [
        "http://localhost@elsewhere.example",
        "http://127.0.0.1.evil.example",
        "http://localhost.evil.example",
        "http://ledger.sio.no",
        "https://user:pw@ledger.sio.no",
        "ftp://127.0.0.1",
        "127.0.0.1:7070",
        "",
    ] {
        assert!(!secure_or_local(bad), "{bad}");
    }
}
