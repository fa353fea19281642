//! `-o junit`: valid against the JUnit schema Jenkins reads (tests/data/junit), with a test
//! case per workload and direction and one per finding.

mod common;
mod tools;

use common::*;

fn xmllint() -> Option<std::path::PathBuf> {
    let path = tools::dir().join("xmllint");
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: no xmllint in the tools directory (scripts/install-test-tools.sh)");
        None
    }
}

fn validate(xml: &str) {
    let Some(xmllint) = xmllint() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new(xmllint)
        .arg("--noout")
        .arg("--schema")
        .arg(root().join("tests/data/junit/junit-10.xsd"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "not valid JUnit: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_shop_example_is_valid_junit_with_a_case_per_direction_and_finding() {
    let r = run(&["-f", "examples/shop", "-o", "junit"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    validate(&r.stdout);
    // Five workloads, two directions each, and seven findings.
    assert!(
        r.stdout
            .contains("<testsuites name=\"netpol-check\" tests=\"17\""),
        "{}",
        r.stdout
    );
    assert_eq!(r.stdout.matches("<testcase ").count(), 17);
    // web is isolated for ingress only.
    assert!(r.stdout.contains(
        "<testcase classname=\"shop.Deployment/web\" name=\"ingress isolated\" time=\"0\"/>"
    ));
    assert!(r.stdout.contains(
        "<testcase classname=\"shop.Deployment/web\" name=\"egress isolated\" time=\"0\">\n      <failure type=\"open\""
    ));
    // Errors fail (the default --fail-on error); warnings are skipped, with their severity.
    assert!(r.stdout.contains(
        "<testcase classname=\"shop.Deployment/web\" name=\"NPC001 uncovered-workload\" time=\"0\">\n      <failure type=\"error\""
    ));
    assert!(r.stdout.contains(
        "<testcase classname=\"shop.Deployment/api\" name=\"NPC108 dns-blocked\" time=\"0\">\n      <skipped type=\"warning\""
    ));
}

#[test]
fn fail_on_decides_which_findings_fail() {
    let r = run(&["-f", "examples/shop", "-o", "junit", "--fail-on", "warning"]);
    validate(&r.stdout);
    assert!(r.stdout.contains(
        "<testcase classname=\"shop.Deployment/api\" name=\"NPC108 dns-blocked\" time=\"0\">\n      <failure type=\"warning\""
    ));
    let r = run(&["-f", "examples/shop", "-o", "junit", "--fail-on", "never"]);
    assert_eq!(r.code, 0);
    assert!(!r.stdout.contains("<failure type=\"error\""));
}

#[test]
fn hostile_names_keep_the_file_valid() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("hostile.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"a\\\"b<c>&d'\\u0001\\u001b[2J\"\n  namespace: \"]]>x\"\nspec: {containers: [{name: c, image: i}]}\n",
    )
    .unwrap();
    let r = run(&["-f", manifest.to_str().unwrap(), "-o", "junit"]);
    assert!(r.code < 2, "{}", r.stderr);
    validate(&r.stdout);
    assert!(
        r.stdout.contains("a&quot;b&lt;c&gt;&amp;d&#39;"),
        "{}",
        r.stdout
    );
}
