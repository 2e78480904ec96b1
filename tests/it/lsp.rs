//! The committed values schema, as editors see it: the real
//! yaml-language-server (the engine of VS Code's YAML extension) is
//! started over LSP on stdio and opens a values file that carries the
//! project's modeline.
//!
//! The server comes from `tools/lsp` (`npm ci --prefix tools/lsp`, which
//! `.ci/run` does). Without it the test says it was skipped, except under
//! CI, where a missing server is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

fn server_script() -> Option<PathBuf> {
    let p = super::support::root()
        .join("tools/lsp/node_modules/yaml-language-server/bin/yaml-language-server");
    p.is_file().then_some(p)
}

/// The server, or `None` after saying the test is skipped. Under CI a
/// missing server fails the test instead.
#[allow(clippy::print_stderr)] // the skip notice must reach the test log
fn server_or_skip() -> Option<PathBuf> {
    let script = server_script();
    if script.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "yaml-language-server is missing: run `npm ci --prefix tools/lsp`"
        );
        eprintln!("skipped: yaml-language-server not installed (npm ci --prefix tools/lsp)");
    }
    script
}

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
}

impl Server {
    fn start(script: &PathBuf) -> Server {
        let mut child = Command::new("node")
            .arg(script)
            .arg("--stdio")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the language server");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length:") {
                        length = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Server {
            child,
            stdin,
            messages,
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next message for which `want` holds, answering the server's own
    /// requests on the way (configuration: validation and hover on).
    fn wait(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let m = self
                .messages
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("the language server sent no {what} within 60 s"));
            if let (Some(id), Some(method)) = (m.get("id"), m.get("method")) {
                let result = if method == "workspace/configuration" {
                    let n = m["params"]["items"].as_array().map_or(1, Vec::len);
                    json!(vec![
                        json!({"validate": true, "hover": true, "schemaStore": {"enable": false}});
                        n
                    ])
                } else {
                    Value::Null
                };
                self.send(json!({"jsonrpc": "2.0", "id": id, "result": result}));
                continue;
            }
            if want(&m) {
                return m;
            }
        }
    }
}

impl Server {
    /// A server started and initialized with the repository as its root,
    /// validation and hover on.
    fn initialized(script: &PathBuf, root: &std::path::Path) -> Server {
        let mut s = Server::start(script);
        s.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": std::process::id(),
            "rootUri": format!("file://{}", root.display()),
            "capabilities": {"textDocument": {"hover": {"contentFormat": ["markdown", "plaintext"]}}}
        }}));
        s.wait("initialize result", |m| m["id"] == 1);
        s.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        s.send(json!({"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration", "params": {"settings": {"yaml": {
            "validate": true, "hover": true, "schemaStore": {"enable": false}
        }}}}));
        s
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A wrong type is reported on its line, an unknown component name is
/// reported, and hovering `replicas` shows the field's description.
#[test]
fn the_real_yaml_language_server_checks_values_files() {
    let Some(script) = server_or_skip() else {
        return;
    };
    let root = super::support::root();
    // Opened from memory at a path beside the real values files, so the
    // modeline's relative path reaches the committed schema.
    let uri = format!(
        "file://{}",
        root.join("values/values-editor-check.yaml").display()
    );
    let text = "# yaml-language-server: $schema=../schema/values.schema.json\nnamespace: arches-dev\napi:\n  enabled: true\n  replicas: three\nreddis:\n  enabled: true\n";
    let mut s = Server::initialized(&script, &root);
    s.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1, "text": text
        }}}),
    );
    let d = s.wait("diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| !d.is_empty())
    });
    let diags = d["params"]["diagnostics"].as_array().unwrap().clone();
    let at = |line: u64| {
        diags
            .iter()
            .filter(|d| d["range"]["start"]["line"] == line)
            .map(|d| d["message"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    // line 5 (index 4) is `  replicas: three`, line 6 (index 5) is `reddis:`
    assert!(
        at(4)
            .iter()
            .any(|m| m.contains("Incorrect type") && m.contains("integer")),
        "diagnostics: {diags:#?}"
    );
    assert!(
        at(5)
            .iter()
            .any(|m| m.contains("reddis") && m.contains("not allowed")),
        "diagnostics: {diags:#?}"
    );
    assert_eq!(diags.len(), 2, "only the two mistakes: {diags:#?}");

    s.send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": uri}, "position": {"line": 4, "character": 4}
        }}),
    );
    let h = s.wait("hover result", |m| m["id"] == 2);
    let shown = h["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        shown.contains("Replica count of the component's workload"),
        "hover: {h}"
    );

    // Hovering a component's key says what the component is.
    s.send(
        json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": uri}, "position": {"line": 2, "character": 1}
        }}),
    );
    let h = s.wait("hover result", |m| m["id"] == 3);
    let shown = h["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(shown.contains("REST API server"), "hover: {h}");

    // Completing a component's name inserts the key and an indented line
    // under it, as for any object.
    let typed = format!("{}/values/values-editor-complete.yaml", root.display());
    let typed = format!("file://{typed}");
    s.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": typed, "languageId": "yaml", "version": 1,
            "text": "# yaml-language-server: $schema=../schema/values.schema.json\nnamespace: x\ndatab\n"
        }}}),
    );
    s.send(
        json!({"jsonrpc": "2.0", "id": 4, "method": "textDocument/completion", "params": {
            "textDocument": {"uri": typed}, "position": {"line": 2, "character": 5}
        }}),
    );
    let c = s.wait("completion result", |m| m["id"] == 4);
    let items = c["result"]["items"].as_array().cloned().unwrap_or_default();
    let database = items
        .iter()
        .find(|i| i["label"] == "database")
        .unwrap_or_else(|| panic!("no `database` among {items:#?}"));
    let inserted = database["textEdit"]["newText"]
        .as_str()
        .or_else(|| database["insertText"].as_str())
        .unwrap_or_default();
    assert!(
        inserted.starts_with("database:\n  "),
        "inserts {inserted:?}: {database:#}"
    );
}

/// An empty key means "unset" to compose (the key and what the layers
/// below set under it are removed), and the committed schema says so: the
/// editor reports nothing on a file of empty keys, and compose accepts
/// the same file with that meaning.
#[test]
fn an_empty_key_is_unset_for_the_editor_and_for_compose() {
    let Some(script) = server_or_skip() else {
        return;
    };
    let root = super::support::root();
    let name = "values/editor-empty.yaml";
    let uri = format!("file://{}", root.join(name).display());
    // Over dev: no replicas and no resources for api (dev sets both), no
    // platform at all (dev enables it), no LOG_LEVEL setting, and an
    // empty label value.
    let text = "# yaml-language-server: $schema=../schema/values.schema.json\nlabels:\n  team:\nsettings:\n  LOG_LEVEL:\napi:\n  replicas:\n  resources:\n  image:\n    tag: v1\nplatform:\n";
    let mut s = Server::initialized(&script, &root);
    s.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1, "text": text
        }}}),
    );
    let d = s.wait("diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri.as_str()
    });
    assert_eq!(
        d["params"]["diagnostics"],
        json!([]),
        "the editor reports an empty key: {d:#}"
    );
    // A wrong type next to the empty keys is still reported, so the
    // server did check the file against the schema.
    s.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": format!("{text}redis:\n  replicas: three\n")}]
        }}),
    );
    let d = s.wait("diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| !d.is_empty())
    });
    let diags = d["params"]["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0]["range"]["start"]["line"], 12, "{diags:#?}");

    let p = super::support::copy_project("lsp-empty").unwrap();
    std::fs::write(p.path().join(name), text).unwrap();
    let out =
        super::support::run_compose(p.path(), ["template", "--env", "dev", "-f", name]).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let k = String::from_utf8_lossy(&out.stdout);
    assert!(!k.contains("components/platform"), "{k}");
    assert!(!k.contains("\nreplicas:"), "{k}");
    assert!(!k.contains("LOG_LEVEL"), "{k}");
    assert!(!k.contains("team"), "{k}");
    assert!(!k.contains("cpu: 50m"), "{k}");
    assert!(k.contains("- image: arches/api:v1\n"), "{k}");
}
