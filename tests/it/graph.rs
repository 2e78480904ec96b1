//! `compose graph`: the edges of the example project's prod render, each
//! checked by reading the components' manifests.

use crate::support::{root, run_compose, stdout_of};

fn graph(args: &[&str]) -> String {
    let out = run_compose(&root(), args).unwrap_or_else(|e| panic!("{e}"));
    let bytes = stdout_of("compose graph", out).unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn graph_of_prod_draws_the_edges_the_manifests_declare() {
    let text = graph(&["graph", "--env", "prod"]);
    assert!(text.starts_with("flowchart LR\n"), "{text}");
    let expected = [
        // components/ingress/ingress.yaml: two paths of one host.
        r#"ingress_arches -->|"arches.example.com/api"| service_arches_api"#,
        r#"ingress_arches -->|"arches.example.com/"| service_arches_platform"#,
        // Each Service selects its component's pods.
        r#"service_arches_api -->|"selects"| deployment_arches_api"#,
        r#"service_arches_database -->|"selects"| statefulset_arches_database"#,
        // components/api/deployment.yaml: envFrom the base's ConfigMap
        // (its hashed name for prod's settings), the hand-made Secret.
        r#"deployment_arches_api -->|"envFrom"| configmap_arches_config_5g98f7khgf"#,
        r#"deployment_arches_api -->|"env"| secret_arches_secrets"#,
        r#"deployment_arches_api -->|"serviceAccount"| serviceaccount_arches"#,
        // components/database/statefulset.yaml: POSTGRES_PASSWORD from
        // the Secret, and the claim template `data`.
        r#"statefulset_arches_database -->|"env"| secret_arches_secrets"#,
        r#"statefulset_arches_database -->|"volumeClaimTemplate"| pvc_data_arches_database"#,
        // components/scraper/hpa.yaml scales the scraper Deployment.
        r#"hpa_arches_scraper -->|"scales"| deployment_arches_scraper"#,
        // components/api/networkpolicy.yaml: applies to the api pods,
        // admits the platform and monitoring (grafana, loki) pods.
        r#"networkpolicy_arches_api -->|"applies to"| deployment_arches_api"#,
        r#"deployment_arches_platform -->|"ingress from"| networkpolicy_arches_api"#,
        r#"deployment_arches_grafana -->|"ingress from"| networkpolicy_arches_api"#,
        r#"statefulset_arches_loki -->|"ingress from"| networkpolicy_arches_api"#,
        // The Secret is not part of the render: drawn dashed.
        r#"secret_arches_secrets[("Secret (not in the render)<br/>arches-secrets")]"#,
    ];
    for line in expected {
        assert!(
            text.lines().any(|l| l.trim() == line),
            "missing `{line}` in:\n{text}"
        );
    }
    // No edge from the ingress controller's namespace selector: it names
    // pods outside the render.
    assert!(!text.contains("ingress-nginx"));
    // The same render always draws the same text.
    assert_eq!(text, graph(&["graph", "--env", "prod"]));
}

#[test]
fn graph_of_dev_as_dot() {
    let text = graph(&["graph", "--env", "dev", "--format", "dot"]);
    assert!(
        text.starts_with("digraph compose {\n  rankdir=LR;\n"),
        "{text}"
    );
    assert!(text.ends_with("}\n"));
    for line in [
        r#""service_arches_api" -> "deployment_arches_api" [label="selects"];"#,
        r#""job_arches_migrations" -> "configmap_arches_config_kg9dd88cd5" [label="envFrom"];"#,
        r#""secret_arches_secrets" [label="Secret (not in the render)\narches-secrets", shape=note, style=dashed];"#,
    ] {
        assert!(
            text.lines().any(|l| l.trim() == line),
            "missing `{line}` in:\n{text}"
        );
    }
    // dev disables the ingress and the scraper.
    assert!(!text.contains("ingress_arches") && !text.contains("scraper"));
}

#[test]
fn readme_shows_the_graph_of_prod() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block = readme
        .split("```mermaid\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    assert_eq!(block, graph(&["graph", "--env", "prod"]));
}
