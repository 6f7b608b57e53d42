//! The subcommands' command lines: words and `--NAME VALUE` options, each subcommand
//! naming the options it takes.

use std::str::FromStr;

/// A parsed command line.
pub(crate) struct Args {
    /// The words that are not options, in order.
    pub(crate) words: Vec<String>,
    opts: Vec<(&'static str, String)>,
}

impl Args {
    /// Splits `args` into words and the options named in `known`, each followed by its
    /// value; `None` for an unknown option or one without its value.
    pub(crate) fn parse(args: &[String], known: &[&'static str]) -> Option<Self> {
        let mut words = Vec::new();
        let mut opts = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.strip_prefix("--") {
                Some(name) => {
                    let name = known.iter().find(|k| **k == name)?;
                    opts.push((*name, it.next()?.clone()));
                }
                None => words.push(a.clone()),
            }
        }
        Some(Self { words, opts })
    }

    /// The value of `--NAME` (the last one given), or `default` without one; `None` when
    /// it does not parse.
    pub(crate) fn get<T: FromStr>(&self, name: &str, default: T) -> Option<T> {
        match self.opts.iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => v.parse().ok(),
            None => Some(default),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Args;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn words_and_options() {
        let a = Args::parse(
            &args("load x.ko --family 23 --params family=23,29"),
            &["family", "params"],
        )
        .unwrap();
        assert_eq!(a.words, ["load", "x.ko"]);
        assert_eq!(a.get("family", 25u32), Some(23));
        assert_eq!(
            a.get("params", String::new()).as_deref(),
            Some("family=23,29")
        );
        assert_eq!(a.get("max", 200u32), Some(200));
    }

    #[test]
    fn refused() {
        assert!(Args::parse(&args("kv --nope 1"), &["family"]).is_none());
        assert!(Args::parse(&args("kv --family"), &["family"]).is_none());
        let a = Args::parse(&args("kv --family x"), &["family"]).unwrap();
        assert_eq!(a.get("family", 25u32), None);
    }
}
