//! Whether output folders stand apart from the inputs and from each other.
//!
//! Paths are compared after making them absolute, resolving symbolic links in
//! the part that exists and `..` in the part that does not, so `out/../extract`
//! and a link to `extract` are both recognised as `extract`.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// A path the user named, with what it is for (used in messages).
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    /// What the path is, as the user would name it: "the output folder (--out)".
    pub role: &'a str,
    /// The path as given.
    pub path: &'a Path,
}

impl<'a> Named<'a> {
    /// `path`, described as `role`.
    pub fn new(role: &'a str, path: &'a Path) -> Self {
        Named { role, path }
    }
}

/// The absolute path `path` names: symbolic links resolved in its longest
/// existing prefix, `.` and `..` resolved in the rest.
pub fn resolve(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let lexical = normalise(&absolute);
    let mut existing = lexical.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut resolved = real;
            for part in rest.iter().rev() {
                resolved.push(part);
            }
            return resolved;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return lexical,
        }
    }
}

/// `path` with `.` dropped and each `..` removing the component before it.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// How two paths overlap, if they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// The same path.
    Same,
    /// The first contains the second.
    Contains,
    /// The first is inside the second.
    Inside,
}

/// How resolved `a` and `b` overlap.
pub fn overlap(a: &Path, b: &Path) -> Option<Overlap> {
    if a == b {
        Some(Overlap::Same)
    } else if b.starts_with(a) {
        Some(Overlap::Contains)
    } else if a.starts_with(b) {
        Some(Overlap::Inside)
    } else {
        None
    }
}

/// Refuse, before anything is read or written, when an output is the same as,
/// inside or around an input, or when two outputs overlap. The message names
/// both paths.
pub fn check_apart(outputs: &[Named], inputs: &[Named]) -> Result<()> {
    let resolved = |n: &Named| resolve(n.path);
    for (i, output) in outputs.iter().enumerate() {
        let out = resolved(output);
        if out.parent().is_none() {
            return Err(Error::refused(
                format!(
                    "{} {} is the root of the file system",
                    output.role,
                    output.path.display()
                ),
                "give a folder of its own, such as out/evaluation",
            ));
        }
        for input in inputs {
            let Some(how) = overlap(&out, &resolved(input)) else {
                continue;
            };
            let relation = match how {
                Overlap::Same => "is the same as",
                Overlap::Contains => "contains",
                Overlap::Inside => "is inside",
            };
            return Err(Error::refused(
                format!(
                    "{} {} {relation} {} {}: sprout replaces its output folders whole, so writing there would {} the input",
                    output.role,
                    output.path.display(),
                    input.role,
                    input.path.display(),
                    if how == Overlap::Inside {
                        "put its files among"
                    } else {
                        "delete"
                    }
                ),
                format!(
                    "give {} a folder of its own, outside every input (for example a new folder beside {})",
                    output.role,
                    input.path.display()
                ),
            ));
        }
        for other in &outputs[i + 1..] {
            if overlap(&out, &resolved(other)).is_some() {
                return Err(Error::refused(
                    format!(
                        "{} {} and {} {} overlap: each is replaced whole, so one would delete the other",
                        output.role,
                        output.path.display(),
                        other.role,
                        other.path.display()
                    ),
                    "give them two separate folders, neither inside the other (for example out/evaluation and out/warehouse)",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_and_links_resolve_to_the_same_folder() {
        let dir = tempfile::tempdir().unwrap();
        let extract = dir.path().join("extract");
        std::fs::create_dir(&extract).unwrap();
        let real = resolve(&extract);
        assert_eq!(resolve(&dir.path().join("out/../extract")), real);
        assert_eq!(resolve(&dir.path().join("extract/./")), real);
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&extract, &link).unwrap();
            assert_eq!(resolve(&link), real);
            assert_eq!(resolve(&link.join("new")), real.join("new"));
        }
    }

    #[test]
    fn outputs_must_stand_apart_from_inputs_and_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let extract = dir.path().join("data/extract");
        std::fs::create_dir_all(&extract).unwrap();
        let spec = dir.path().join("data/spec.toml");
        std::fs::write(&spec, "").unwrap();
        let inputs = [
            Named::new("the extract", &extract),
            Named::new("the spec", &spec),
        ];
        let check = |out: &Path| check_apart(&[Named::new("the output folder", out)], &inputs);
        assert!(check(&dir.path().join("out")).is_ok());
        assert!(check(&dir.path().join("data/out")).is_ok());
        for bad in ["data", "data/extract", "data/extract/out", "."] {
            let path = if bad == "." {
                dir.path().to_path_buf()
            } else {
                dir.path().join(bad)
            };
            let message = check(&path).unwrap_err().to_string();
            assert!(
                message.contains(&path.display().to_string()) && message.contains("fix:"),
                "{bad}: {message}"
            );
        }
        let a = dir.path().join("out");
        let b = dir.path().join("out/warehouse");
        let both = [
            Named::new("the output folder", a.as_path()),
            Named::new("the warehouse", b.as_path()),
        ];
        let message = check_apart(&both, &inputs).unwrap_err().to_string();
        assert!(message.contains("overlap"), "{message}");
        assert!(check_apart(&[Named::new("the output folder", Path::new("/"))], &[]).is_err());
    }
}
