//! The values behind a value a step of the generated kustomization wrote.

use crate::field_path::Seg;
use compose_yaml::Node;

/// Whether a values entry holds the value a step wrote: the same scalar
/// (compared as text: `cpu: "2"` and `cpu: 2` are the same quantity),
/// the same collection, or for an `image` field the repository, tag or
/// digest that the image reference is made of.
pub(super) fn holds(value: &serde_json::Value, written: &Node, image: bool) -> bool {
    use serde_json::Value;
    match (value, written) {
        (Value::Null, _) => false,
        (Value::Object(_) | Value::Array(_), Node::Map(_) | Node::Seq(_)) => {
            serde_json::from_str::<Value>(&compose_yaml::json::to_json(written))
                .ok()
                .as_ref()
                == Some(value)
        }
        (Value::Object(_) | Value::Array(_), _) | (_, Node::Map(_) | Node::Seq(_)) => false,
        _ => {
            let held = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let Some(text) = written.scalar_text() else {
                return false;
            };
            text == held || (image && !held.is_empty() && image_part(&text, &held))
        }
    }
}

/// Whether `part` is the repository, tag or digest of image `image`.
fn image_part(image: &str, part: &str) -> bool {
    let (name, digest) = image.split_once('@').unwrap_or((image, ""));
    let (repo, tag) = match name.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (name, ""),
    };
    part == repo || part == tag || part == digest
}

/// The value at a JSON pointer of a values layer.
pub(super) fn node_at<'n>(node: &'n Node, pointer: &str) -> Option<&'n Node> {
    let mut cur = node;
    for raw in pointer.split('/').skip(1) {
        let key = raw.replace("~1", "/").replace("~0", "~");
        cur = match cur {
            Node::Map(m) => m.get(&key)?,
            Node::Seq(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The values entries under `scope` (JSON pointers) that hold `written`,
/// the value a step of the generated kustomization wrote into the field
/// at `path`. When several do, those whose keys end like the field's
/// path (`resources.limits.cpu`) are kept, except for an image, which
/// several values make in parts. `enabled` switches are never
/// sources: they choose components and write no field.
pub(super) fn sources_of(
    tree: &serde_json::Value,
    scope: &[String],
    path: &[Seg],
    written: &Node,
) -> Vec<String> {
    let image = matches!(path.last(), Some(Seg::Key(k)) if k == "image");
    let mut found = Vec::new();
    for root in scope {
        if let Some(v) = tree.pointer(root) {
            collect(v, root, written, image, &mut found);
        }
    }
    let field_keys: Vec<String> = path
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    if image {
        // The repository, tag and digest each make a part of it.
        return found;
    }
    let score = |pointer: &String| likeness(pointer, &field_keys);
    let best = found.iter().map(score).max().unwrap_or_default();
    found.retain(|p| score(p) == best);
    found
}

/// How much a values pointer reads like a field path (its keys lower
/// case): how many keys they end with alike, then how long a start
/// their last keys share (`queue.maxReplicas` reads like
/// `spec.maxReplicaCount`).
fn likeness(pointer: &str, field_keys: &[String]) -> (usize, usize) {
    let keys: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|k| k.replace("~1", "/").replace("~0", "~").to_ascii_lowercase())
        .collect();
    let same_end = keys
        .iter()
        .rev()
        .zip(field_keys.iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let shared_start = match (keys.last(), field_keys.last()) {
        (Some(a), Some(b)) => a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count(),
        _ => 0,
    };
    (same_end, shared_start)
}

fn collect(v: &serde_json::Value, at: &str, written: &Node, image: bool, out: &mut Vec<String>) {
    if at.ends_with("/enabled") {
        return;
    }
    if holds(v, written, image) {
        out.push(at.to_string());
        return;
    }
    let seg = compose_yaml::parse::pointer_segment;
    match v {
        serde_json::Value::Object(m) => {
            for (k, item) in m {
                collect(item, &format!("{at}/{}", seg(k)), written, image, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect(item, &format!("{at}/{i}"), written, image, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_hold_what_a_step_wrote() {
        use serde_json::json;
        let n = |t: &str| compose_yaml::parse_one(t).unwrap();
        assert!(holds(&json!(3), &n("3"), false));
        assert!(holds(&json!("2"), &n("2"), false));
        assert!(holds(&json!(2), &n("\"2\""), false));
        assert!(!holds(&json!("2"), &n("3"), false));
        assert!(holds(&json!({"cpu": "1"}), &n("cpu: \"1\""), false));
        assert!(!holds(&json!({"cpu": "1"}), &n("cpu: \"2\""), false));
        assert!(holds(&json!("v1.0.0"), &n("arches/api:v1.0.0"), true));
        assert!(holds(&json!("arches/api"), &n("arches/api:v1.0.0"), true));
        assert!(holds(&json!("sha256:ab"), &n("r:5000/a@sha256:ab"), true));
        assert!(!holds(&json!("v1.0.0"), &n("arches/api:v1.0.0"), false));
        assert!(!holds(&json!("5000/a"), &n("r:5000/a"), true));
        assert!(!holds(&json!(null), &n("null"), false));
    }
}
