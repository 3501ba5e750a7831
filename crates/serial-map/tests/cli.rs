//! The demo binary: a verified table on good flags, exit code 2 on bad ones.

use std::process::{Command, Output};

fn demo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_serial-map"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn prints_a_verified_table() {
    let out = demo(&["--workload", "pi", "--size", "4", "--trials", "1000"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    for strategy in [
        "for loop",
        "my_map",
        "iterator map+collect",
        "fold (sum only)",
    ] {
        assert!(table.contains(strategy), "{table}");
    }
    assert_eq!(table.matches("= serial").count(), 4, "{table}");
    assert!(!table.contains("MISMATCH"));
}

#[test]
fn prints_json_on_request() {
    let out = demo(&["--workload", "files", "--size", "2", "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["workload"], "files");
    assert_eq!(json["rows"].as_array().unwrap().len(), 4);
    assert!(
        json["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["verified"] == true)
    );
}

#[test]
fn bad_flags_exit_with_status_2_and_a_message() {
    for bad in [
        &["--size", "0"][..],
        &["--jobs", "0"],
        &["--workload", "unknown"],
        &["--size", "ten"],
    ] {
        let out = demo(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(message.contains("error:"), "{bad:?}: {message}");
    }
}
