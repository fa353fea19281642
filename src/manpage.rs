//! The man page `kubectl-netpol_check.1` of the release archives, from the clap definition:
//! one page with every subcommand's flags, since only this page is installed.

use std::io::Write;

use clap::CommandFactory;
use clap_mangen::Man;

use crate::cli::EXIT_OK;
use crate::error::Error;

/// The page's name: the binary's, so that `man kubectl-netpol_check` finds it.
pub const NAME: &str = "kubectl-netpol_check";

/// The page, in roff.
pub fn render() -> Vec<u8> {
    let mut root = crate::cli::Cli::command();
    root.build();
    let man = Man::new(root.clone().display_name(NAME)).title(NAME.to_uppercase());
    let mut page = Vec::new();
    // Writing to memory cannot fail.
    man.render_title(&mut page).expect("in memory");
    man.render_name_section(&mut page).expect("in memory");
    man.render_synopsis_section(&mut page).expect("in memory");
    man.render_description_section(&mut page)
        .expect("in memory");
    man.render_options_section(&mut page).expect("in memory");

    page.extend_from_slice(b".SH COMMANDS\n");
    for sub in root
        .get_subcommands()
        .filter(|s| crate::completion::offered(s))
    {
        let sub_man = Man::new(sub.clone());
        let mut part = Vec::new();
        sub_man
            .render_synopsis_section(&mut part)
            .expect("in memory");
        sub_man
            .render_description_section(&mut part)
            .expect("in memory");
        sub_man
            .render_options_section(&mut part)
            .expect("in memory");
        let bin = sub.get_bin_name().unwrap_or_else(|| sub.get_name());
        page.extend_from_slice(format!(".SS \"{bin}\"\n").as_bytes());
        // The subcommand's own sections become paragraphs of its subsection.
        for line in String::from_utf8_lossy(&part).lines() {
            if line.starts_with(".SH ") {
                page.extend_from_slice(b".PP\n");
            } else {
                page.extend_from_slice(line.as_bytes());
                page.push(b'\n');
            }
        }
    }

    let mut extra = Vec::new();
    man.render_extra_section(&mut extra).expect("in memory");
    let extra = String::from_utf8_lossy(&extra).replace(".SH EXTRA", ".SH EXAMPLES");
    page.extend_from_slice(extra.as_bytes());
    man.render_version_section(&mut page).expect("in memory");
    dedup_preamble(&page)
}

/// Each of clap_mangen's section renderers starts with the same two lines defining `\*(Aq`; the
/// page needs them once.
fn dedup_preamble(page: &[u8]) -> Vec<u8> {
    const PREAMBLE: [&str; 2] = [".ie \\n(.g .ds Aq \\(aq", ".el .ds Aq '"];
    let text = String::from_utf8_lossy(page);
    let mut seen = [false; 2];
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if let Some(i) = PREAMBLE.iter().position(|p| *p == line) {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out.into_bytes()
}

pub fn print() -> Result<i32, Error> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match out.write_all(&render()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", &e)),
        _ => Ok(EXIT_OK),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_the_sections_and_every_visible_flag() {
        let page = String::from_utf8(render()).unwrap();
        assert!(page.contains("\n.TH KUBECTL-NETPOL_CHECK 1 "), "{page}");
        assert_eq!(page.matches(".el .ds Aq").count(), 1, "one preamble");
        for section in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH OPTIONS",
            ".SH COMMANDS",
            ".SH EXAMPLES",
        ] {
            assert!(page.contains(section), "{section}");
        }
        assert!(
            page.contains("kubectl\\-netpol_check \\- Which pods"),
            "{page}"
        );
        // roff escapes each dash of a flag.
        for flag in [
            "\\-\\-fail\\-on",
            "\\-\\-emit\\-default\\-deny",
            "\\-\\-dns\\-selector",
        ] {
            assert!(page.contains(flag), "{flag}");
        }
        assert!(
            page.contains(".SS \"kubectl netpol-check post-render\""),
            "{page}"
        );
        assert!(
            !page.contains("netpol-check help\""),
            "clap's help subcommand is left out"
        );
        assert!(!page.contains("__complete"));
        assert!(!page.contains("chunk\\-size"));
    }
}
