//! The file node types (`file.read`, `file.write`, `file.list`, `file.delete`), run through
//! the registry against a temporary base directory — including the confinement: `..`,
//! absolute paths and symbolic links leading out of the base are refused for every type.

use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};
use weft_core::catalog::NodeCatalog;
use weft_core::{ErrorKind, NodeError};
use weft_nodes::file::{FileOptions, resolve_within};
use weft_nodes::testing::TestInput;
use weft_nodes::{NodeOptions, Registry};

/// A temporary directory holding `base/` (the file base, not created yet: the nodes create
/// it) and `outside/` with a secret file.
struct Sandbox {
    _dir: tempfile::TempDir,
    base: PathBuf,
    outside: PathBuf,
    registry: Registry,
}

impl Sandbox {
    fn new() -> Self {
        Self::with_max_read(weft_nodes::file::DEFAULT_MAX_READ_BYTES)
    }

    fn with_max_read(max_read_bytes: u64) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let base = dir.path().join("base");
        let outside = dir.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("secret.txt"), "top secret").unwrap();
        let options = NodeOptions {
            files: FileOptions {
                base_dir: base.clone(),
                max_read_bytes,
            },
            ..NodeOptions::default()
        };
        Self {
            registry: Registry::builtin(options).expect("registry"),
            _dir: dir,
            base,
            outside,
        }
    }

    async fn run(&self, type_name: &str, config: Value) -> Result<Value, NodeError> {
        self.run_with(type_name, TestInput::new(config)).await
    }

    async fn run_with(&self, type_name: &str, input: TestInput) -> Result<Value, NodeError> {
        let spec = self.registry.spec(type_name).expect("known type");
        let input = input.build(spec).map_err(NodeError::from)?;
        self.registry.run(type_name, input).await.map(|o| o.output)
    }

    fn put(&self, relative: &str, content: &str) {
        let path = self.base.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    #[cfg(unix)]
    fn link(&self, relative: &str, target: &Path) {
        fs::create_dir_all(&self.base).unwrap();
        std::os::unix::fs::symlink(target, self.base.join(relative)).unwrap();
    }

    fn secret_untouched(&self) {
        assert_eq!(
            fs::read_to_string(self.outside.join("secret.txt")).unwrap(),
            "top secret"
        );
        let names: Vec<String> = fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["secret.txt"], "nothing new appeared outside");
    }
}

#[track_caller]
fn assert_config_error(result: Result<Value, NodeError>, needle: &str) {
    let e = result.expect_err("should fail");
    assert_eq!(e.kind, ErrorKind::Config, "{e}");
    assert!(
        e.message.contains(needle),
        "{needle:?} not in {}",
        e.message
    );
}

/// A refusal: permanent, naming the `/path` field, never the secret's content.
#[track_caller]
fn assert_refused(result: Result<Value, NodeError>, needle: &str) {
    let e = result.expect_err("should be refused");
    assert_eq!(e.kind, ErrorKind::Permanent, "{e}");
    assert!(
        e.message.contains("/path"),
        "names the field: {}",
        e.message
    );
    assert!(
        e.message.contains(needle),
        "{needle:?} not in {}",
        e.message
    );
    assert!(!e.message.contains("top secret"));
}

#[test]
fn file_types_are_registered_not_inline_and_fully_described() {
    let s = Sandbox::new();
    for t in ["file.read", "file.write", "file.list", "file.delete"] {
        assert!(!s.registry.runs_inline(t), "{t} does IO");
        let spec = s.registry.spec(t).expect(t);
        assert_eq!(spec.category, "file");
        for (name, prop) in spec.schema["properties"].as_object().unwrap() {
            assert!(prop["title"].is_string(), "{t}.{name} title");
            assert!(prop["description"].is_string(), "{t}.{name} description");
        }
    }
}

// --- success ----------------------------------------------------------------------------------

#[tokio::test]
async fn write_then_read_text_base64_and_json() {
    let s = Sandbox::new();
    let out = s
        .run_with(
            "file.write",
            TestInput::new(json!({
                "path": "out/{{ .input.name }}.txt",
                "content": "hello {{ .input.name }}"
            }))
            .input(json!({"name": "ada"})),
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"path": "out/ada.txt", "size": 9, "mode": "overwrite"})
    );
    assert_eq!(
        fs::read_to_string(s.base.join("out/ada.txt")).unwrap(),
        "hello ada"
    );

    let read = s
        .run("file.read", json!({"path": "./out/../out/ada.txt"}))
        .await
        .unwrap();
    assert_eq!(read["path"], "out/ada.txt");
    assert_eq!(read["content"], "hello ada");
    assert_eq!(read["size"], 9);
    assert!(read["modified"].as_str().unwrap().ends_with('Z'));

    // Bytes through base64, both ways.
    s.run(
        "file.write",
        json!({"path": "bin/x.bin", "content": "AAH/", "encoding": "base64"}),
    )
    .await
    .unwrap();
    assert_eq!(
        fs::read(s.base.join("bin/x.bin")).unwrap(),
        vec![0u8, 1, 255]
    );
    let read = s
        .run(
            "file.read",
            json!({"path": "bin/x.bin", "encoding": "base64"}),
        )
        .await
        .unwrap();
    assert_eq!(read["content"], "AAH/");
    let e = s
        .run("file.read", json!({"path": "bin/x.bin"}))
        .await
        .unwrap_err();
    assert!(e.message.contains("not UTF-8"), "{e}");

    // JSON values, and appending JSON Lines.
    s.run_with(
        "file.write",
        TestInput::new(json!({"path": "data.json", "content": "{{ .input }}", "encoding": "json"}))
            .input(json!({"a": [1, 2]})),
    )
    .await
    .unwrap();
    let read = s
        .run(
            "file.read",
            json!({"path": "data.json", "encoding": "json"}),
        )
        .await
        .unwrap();
    assert_eq!(read["content"], json!({"a": [1, 2]}));
    for n in 0..3 {
        s.run(
            "file.write",
            json!({"path": "log.jsonl", "content": {"n": n}, "encoding": "json", "mode": "append"}),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        fs::read_to_string(s.base.join("log.jsonl")).unwrap(),
        "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n"
    );
}

#[tokio::test]
async fn write_modes_overwrite_atomically_and_create_new_refuses_existing() {
    let s = Sandbox::new();
    s.put("a.txt", "old content that is longer");
    s.run("file.write", json!({"path": "a.txt", "content": "new"}))
        .await
        .unwrap();
    assert_eq!(fs::read_to_string(s.base.join("a.txt")).unwrap(), "new");
    let leftovers: Vec<_> = fs::read_dir(&s.base)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec!["a.txt"], "no temporary file is left behind");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(s.base.join("a.txt"), fs::Permissions::from_mode(0o600)).unwrap();
        s.run("file.write", json!({"path": "a.txt", "content": "newer"}))
            .await
            .unwrap();
        let mode = fs::metadata(s.base.join("a.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the replacement keeps the permissions");
    }

    let e = s
        .run(
            "file.write",
            json!({"path": "a.txt", "content": "x", "mode": "create_new"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert!(e.message.contains("already exists"), "{e}");
    s.run(
        "file.write",
        json!({"path": "b.txt", "content": "x", "mode": "create_new"}),
    )
    .await
    .unwrap();
    s.run(
        "file.write",
        json!({"path": "b.txt", "content": "y", "mode": "append"}),
    )
    .await
    .unwrap();
    assert_eq!(fs::read_to_string(s.base.join("b.txt")).unwrap(), "xy");
}

#[tokio::test]
async fn read_respects_the_size_limit() {
    let s = Sandbox::with_max_read(10);
    s.put("small.txt", "0123456789");
    s.put("big.txt", "0123456789A");
    assert_eq!(
        s.run("file.read", json!({"path": "small.txt"}))
            .await
            .unwrap()["content"],
        "0123456789"
    );
    assert_refused(
        s.run("file.read", json!({"path": "big.txt"})).await,
        "11 bytes, more than the limit of 10",
    );
    // A node may lower the operator's limit, never raise it.
    assert_refused(
        s.run("file.read", json!({"path": "small.txt", "max_bytes": 5}))
            .await,
        "more than the limit of 5",
    );
    assert_refused(
        s.run("file.read", json!({"path": "big.txt", "max_bytes": 1000}))
            .await,
        "limit of 10",
    );
    assert_refused(
        s.run("file.read", json!({"path": "missing.txt"})).await,
        "`missing.txt` does not exist",
    );
}

#[tokio::test]
async fn list_filters_recurses_and_truncates() {
    let s = Sandbox::new();
    s.put("a.csv", "1");
    s.put("b.txt", "22");
    s.put("sub/c.csv", "333");
    s.put("sub/deeper/d.csv", "4444");

    let out = s.run("file.list", json!({})).await.unwrap();
    assert_eq!(out["path"], ".");
    assert_eq!(out["count"], 3);
    assert_eq!(out["truncated"], false);
    let paths: Vec<&str> = out["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["a.csv", "b.txt", "sub"]);
    let b = &out["entries"][1];
    assert_eq!(b["size"], 2);
    assert_eq!(b["is_dir"], false);
    assert_eq!(b["name"], "b.txt");
    assert!(b["modified"].is_string());
    assert_eq!(out["entries"][2]["is_dir"], true);

    let out = s
        .run("file.list", json!({"pattern": "*.csv", "recursive": true}))
        .await
        .unwrap();
    let paths: Vec<&str> = out["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["a.csv", "sub/c.csv", "sub/deeper/d.csv"]);

    let out = s
        .run("file.list", json!({"path": "sub", "pattern": "?.csv"}))
        .await
        .unwrap();
    assert_eq!(out["entries"][0]["path"], "sub/c.csv");
    assert_eq!(out["count"], 1);

    let out = s
        .run("file.list", json!({"recursive": true, "max_entries": 2}))
        .await
        .unwrap();
    assert_eq!(out["count"], 2);
    assert_eq!(out["truncated"], true);

    assert_refused(
        s.run("file.list", json!({"path": "a.csv"})).await,
        "not a directory",
    );
}

#[tokio::test]
async fn delete_files_and_directories() {
    let s = Sandbox::new();
    s.put("a.txt", "1");
    s.put("dir/x.txt", "2");
    assert_eq!(
        s.run("file.delete", json!({"path": "a.txt"}))
            .await
            .unwrap(),
        json!({"path": "a.txt", "deleted": true})
    );
    assert!(!s.base.join("a.txt").exists());
    assert_refused(
        s.run("file.delete", json!({"path": "a.txt"})).await,
        "does not exist",
    );
    assert_eq!(
        s.run("file.delete", json!({"path": "a.txt", "missing_ok": true}))
            .await
            .unwrap(),
        json!({"path": "a.txt", "deleted": false})
    );
    assert_refused(
        s.run("file.delete", json!({"path": "dir"})).await,
        "not empty; set recursive",
    );
    s.run("file.delete", json!({"path": "dir", "recursive": true}))
        .await
        .unwrap();
    assert!(!s.base.join("dir").exists());
    for base_itself in [".", "x/.."] {
        assert_refused(
            s.run(
                "file.delete",
                json!({"path": base_itself, "recursive": true}),
            )
            .await,
            "base directory itself",
        );
    }
    assert!(s.base.exists());
}

// --- bad config -------------------------------------------------------------------------------

#[tokio::test]
async fn bad_configs_name_the_field() {
    let s = Sandbox::new();
    assert_config_error(s.run("file.read", json!({})).await, "/path");
    assert_config_error(
        s.run("file.read", json!({"path": "a", "encoding": "latin1"}))
            .await,
        "/encoding",
    );
    assert_config_error(
        s.run(
            "file.write",
            json!({"path": "a", "content": "x", "mode": "truncate"}),
        )
        .await,
        "/mode",
    );
    assert_config_error(s.run("file.write", json!({"path": "a"})).await, "/content");
    assert_config_error(
        s.run("file.write", json!({"path": "a", "content": {"x": 1}}))
            .await,
        "/content: expected text for encoding utf8",
    );
    assert_config_error(
        s.run(
            "file.write",
            json!({"path": "a", "content": "%%%", "encoding": "base64"}),
        )
        .await,
        "/content: not base64",
    );
    assert_config_error(
        s.run("file.list", json!({"max_entries": 0})).await,
        "/max_entries",
    );
    assert_config_error(
        s.run("file.delete", json!({"path": "a", "force": true}))
            .await,
        "/force",
    );

    // At design time, literal paths that leave the base are reported at /path.
    for (t, config) in [
        ("file.read", json!({"path": "../secret.txt"})),
        ("file.write", json!({"path": "/etc/passwd", "content": "x"})),
        ("file.list", json!({"path": "a/../../b"})),
        ("file.delete", json!({"path": "/tmp"})),
    ] {
        let problems = s.registry.check_config(t, &config);
        assert_eq!(problems.len(), 1, "{t}: {problems:?}");
        assert_eq!(problems[0].pointer, "/path", "{t}");
    }
    assert!(
        s.registry
            .check_config("file.read", &json!({"path": "{{ .input.path }}"}))
            .is_empty(),
        "templates are checked when rendered"
    );
}

// --- security ---------------------------------------------------------------------------------

#[tokio::test]
async fn dot_dot_escapes_are_refused() {
    let s = Sandbox::new();
    s.put("in.txt", "inside");
    for path in [
        "../outside/secret.txt",
        "a/../../outside/secret.txt",
        "./../outside",
        "..",
    ] {
        assert_refused(
            s.run("file.read", json!({"path": path})).await,
            "leaves the file base directory",
        );
        assert_refused(
            s.run("file.write", json!({"path": path, "content": "pwned"}))
                .await,
            "leaves the file base directory",
        );
        assert_refused(
            s.run("file.list", json!({"path": path})).await,
            "leaves the file base directory",
        );
        assert_refused(
            s.run("file.delete", json!({"path": path, "recursive": true}))
                .await,
            "leaves the file base directory",
        );
    }
    // Rendered templates are checked too.
    assert_refused(
        s.run_with(
            "file.read",
            TestInput::new(json!({"path": "{{ .input }}"})).input(json!("../outside/secret.txt")),
        )
        .await,
        "leaves",
    );
    s.secret_untouched();
}

#[tokio::test]
async fn absolute_paths_are_refused() {
    let s = Sandbox::new();
    let secret = s.outside.join("secret.txt");
    let secret = secret.to_str().unwrap();
    for path in ["/etc/passwd", secret] {
        assert_refused(
            s.run("file.read", json!({"path": path})).await,
            "is absolute",
        );
        assert_refused(
            s.run("file.write", json!({"path": path, "content": "pwned"}))
                .await,
            "is absolute",
        );
        assert_refused(
            s.run("file.delete", json!({"path": path})).await,
            "is absolute",
        );
    }
    assert_refused(
        s.run("file.list", json!({"path": "/etc"})).await,
        "is absolute",
    );
    s.secret_untouched();
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_leading_outside_are_refused_for_every_operation() {
    let s = Sandbox::new();
    s.link("out_dir", &s.outside);
    s.link("out_file", &s.outside.join("secret.txt"));
    s.link("dangling", &s.outside.join("new.txt"));
    s.put("real/inside.txt", "inside");

    // read through a directory link, or a file link
    for path in ["out_dir/secret.txt", "out_file", "real/../out_file"] {
        assert_refused(
            s.run("file.read", json!({"path": path})).await,
            "symbolic link",
        );
    }
    // write through them, in every mode, and through a dangling link
    for mode in ["overwrite", "append", "create_new"] {
        for path in [
            "out_dir/secret.txt",
            "out_dir/new.txt",
            "out_file",
            "dangling",
        ] {
            assert_refused(
                s.run(
                    "file.write",
                    json!({"path": path, "content": "pwned", "mode": mode}),
                )
                .await,
                "symbolic link",
            );
        }
    }
    // list following it
    assert_refused(
        s.run("file.list", json!({"path": "out_dir"})).await,
        "symbolic link",
    );
    // a recursive listing shows the links but never descends through them
    let out = s
        .run("file.list", json!({"recursive": true}))
        .await
        .unwrap();
    let entries = out["entries"].as_array().unwrap();
    let paths: Vec<&str> = entries
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec!["dangling", "out_dir", "out_file", "real", "real/inside.txt"]
    );
    let out_dir = &entries[1];
    assert_eq!(out_dir["is_symlink"], true);
    assert_eq!(out_dir["is_dir"], false);
    // delete through it, or the link itself
    for path in ["out_dir/secret.txt", "out_file", "out_dir"] {
        assert_refused(
            s.run("file.delete", json!({"path": path, "recursive": true}))
                .await,
            "symbolic link",
        );
    }
    s.secret_untouched();
    assert!(fs::symlink_metadata(s.base.join("out_file")).is_ok());

    // The public helper refuses the same way.
    let e = resolve_within(&s.base, "out_dir/secret.txt").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert!(resolve_within(&s.base, "real/inside.txt").is_ok());
    assert!(resolve_within(&s.base, "../x").is_err());
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_that_stay_inside_work() {
    let s = Sandbox::new();
    s.put("real/inside.txt", "inside");
    s.link("alias", &s.base.join("real"));
    s.link("file_alias", &s.base.join("real/inside.txt"));
    assert_eq!(
        s.run("file.read", json!({"path": "alias/inside.txt"}))
            .await
            .unwrap()["content"],
        "inside"
    );
    // Writing through a link to a file inside replaces the target's content.
    s.run(
        "file.write",
        json!({"path": "file_alias", "content": "changed"}),
    )
    .await
    .unwrap();
    assert_eq!(
        fs::read_to_string(s.base.join("real/inside.txt")).unwrap(),
        "changed"
    );
    // Deleting a link inside removes the link, not its target.
    s.run("file.delete", json!({"path": "file_alias"}))
        .await
        .unwrap();
    assert!(fs::symlink_metadata(s.base.join("file_alias")).is_err());
    assert!(s.base.join("real/inside.txt").exists());
}
