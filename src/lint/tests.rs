//! Each rule over objects: one stream that triggers it, one that does not.

use super::*;
use compose_yaml::parse_stream;

const GOOD_DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: ns}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api, tier: web}}
    spec:
      serviceAccountName: runner
      containers:
      - name: api
        image: shop/api:1.2.3
        resources: {requests: {cpu: 10m}, limits: {memory: 64Mi}}
        envFrom: [{configMapRef: {name: settings}}]
        env:
        - {name: TOKEN, valueFrom: {secretKeyRef: {name: creds, key: token}}}
        - {name: OPT, valueFrom: {secretKeyRef: {name: maybe, key: x, optional: true}}}
      volumes:
      - {name: data, persistentVolumeClaim: {claimName: data}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner, namespace: ns}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ns}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: ns}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: ns}
";

fn run(text: &str, env: &str) -> Vec<Finding> {
    let objects = parse_stream(text).unwrap();
    let objects: Vec<&Node> = objects.iter().collect();
    check(
        &objects,
        &Options {
            environment: env.into(),
            production: vec!["prod".into(), "production".into()],
            external: vec![],
        },
    )
}

fn rules(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.rule).collect()
}

#[test]
fn a_complete_stream_has_no_findings() {
    assert_eq!(run(GOOD_DEPLOYMENT, "prod"), vec![]);
}

#[test]
fn latest_or_missing_tags_in_production_only() {
    let latest = GOOD_DEPLOYMENT.replace("shop/api:1.2.3", "shop/api:latest");
    let f = run(&latest, "prod");
    assert_eq!(rules(&f), vec!["latest-tag"]);
    assert_eq!(f[0].subject, "Deployment/ns/api");
    assert_eq!(
        rules(&run(
            &GOOD_DEPLOYMENT.replace("shop/api:1.2.3", "registry:5000/shop/api"),
            "production"
        )),
        vec!["latest-tag"]
    );
    assert_eq!(run(&latest, "dev"), vec![]);
    // a port in the registry is not a tag, a digest pins the image
    assert_eq!(
        run(
            &GOOD_DEPLOYMENT.replace("shop/api:1.2.3", "registry:5000/shop/api@sha256:abcd"),
            "prod"
        ),
        vec![]
    );
}

#[test]
fn containers_need_requests_and_limits() {
    let f = run(
        &GOOD_DEPLOYMENT.replace(", limits: {memory: 64Mi}", ""),
        "dev",
    );
    assert_eq!(rules(&f), vec!["missing-resources"]);
    assert!(
        f[0].message.contains("limits") && !f[0].message.contains("requests"),
        "{}",
        f[0].message
    );
}

#[test]
fn an_hpa_needs_its_target_in_the_output() {
    let hpa = "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api, namespace: ns}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: NAME}\n";
    assert_eq!(
        run(
            &format!("{GOOD_DEPLOYMENT}{}", hpa.replace("NAME", "api")),
            "dev"
        ),
        vec![]
    );
    let f = run(
        &format!("{GOOD_DEPLOYMENT}{}", hpa.replace("NAME", "worker")),
        "dev",
    );
    assert_eq!(rules(&f), vec!["hpa-target"]);
    assert_eq!(f[0].subject, "HorizontalPodAutoscaler/ns/api");
}

#[test]
fn services_and_pdbs_must_select_a_pod_template() {
    let svc = "---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: ns}\nspec:\n  selector: {app: APP}\n";
    let pdb = "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: api, namespace: ns}\nspec:\n  selector: {matchLabels: {app: APP, tier: web}}\n";
    assert_eq!(
        run(
            &format!(
                "{GOOD_DEPLOYMENT}{}{}",
                svc.replace("APP", "api"),
                pdb.replace("APP", "api")
            ),
            "dev"
        ),
        vec![]
    );
    let f = run(
        &format!(
            "{GOOD_DEPLOYMENT}{}{}",
            svc.replace("APP", "apl"),
            pdb.replace("APP", "apl")
        ),
        "dev",
    );
    assert_eq!(
        rules(&f),
        vec!["selector-matches-nothing", "selector-matches-nothing"]
    );
    // the same labels in another namespace do not count
    let other_ns = svc
        .replace("APP", "api")
        .replace("namespace: ns", "namespace: other");
    assert_eq!(
        rules(&run(&format!("{GOOD_DEPLOYMENT}{other_ns}"), "dev")),
        vec!["selector-matches-nothing"]
    );
}

#[test]
fn references_must_resolve_or_be_declared_external() {
    let missing_secret = GOOD_DEPLOYMENT.replace(
        "kind: Secret\nmetadata: {name: creds",
        "kind: Secret\nmetadata: {name: other",
    );
    let f = run(&missing_secret, "dev");
    assert_eq!(rules(&f), vec!["dangling-reference"]);
    assert!(
        f[0].message.contains("Secret `creds`") && f[0].message.contains("env `TOKEN`"),
        "{}",
        f[0].message
    );
    let objects = parse_stream(&missing_secret).unwrap();
    let external = Options {
        environment: "dev".into(),
        production: vec![],
        external: vec!["Secret/creds".into()],
    };
    let objects: Vec<&Node> = objects.iter().collect();
    assert_eq!(check(&objects, &external), vec![]);
    for (from, to) in [
        ("name: runner, namespace", "name: robot, namespace"),
        (
            "{configMapRef: {name: settings}}",
            "{configMapRef: {name: setting}}",
        ),
        ("name: data, namespace", "name: d, namespace"),
    ] {
        assert_eq!(
            rules(&run(&GOOD_DEPLOYMENT.replace(from, to), "dev")),
            vec!["dangling-reference"],
            "{from}"
        );
    }
}

#[test]
fn component_labels_and_selector_labels() {
    let rules = |text: &str| -> Vec<&'static str> {
        let doc = compose_yaml::parse_one(text).unwrap();
        component_kustomization("api", "components/api/kustomization.yaml", None, &doc)
            .into_iter()
            .map(|f| f.rule)
            .collect()
    };
    assert_eq!(
        rules("kind: Component\nresources: [a.yaml]\n"),
        Vec::<&str>::new()
    );
    assert_eq!(
        rules("labels:\n- pairs: {team: a}\n"),
        vec!["component-labels"]
    );
    assert_eq!(
        rules("labels:\n- pairs: {team: a}\n  includeSelectors: true\n"),
        vec!["component-labels", "selector-labels"]
    );
    assert_eq!(
        rules("commonLabels: {team: a}\n"),
        vec!["component-labels", "selector-labels"]
    );
    let doc = compose_yaml::parse_one("commonLabels: {team: a}\n").unwrap();
    let f = &component_kustomization("api", "components/api/kustomization.yaml", None, &doc)[0];
    assert_eq!(
        f.to_string(),
        "components/api/kustomization.yaml: [component-labels] `commonLabels` in a Component applies to every resource accumulated before it (the base and the components listed earlier), not only to the resources of `api`\n  fix: write the labels in the component's own resources instead"
    );
}

#[test]
fn every_rule_has_a_row_in_the_readme_table() {
    let readme = include_str!("../../README.md");
    for (id, _) in RULES {
        assert!(
            readme.contains(&format!("| `{id}` |")),
            "README.md has no row for rule {id}"
        );
    }
}

#[test]
fn lint_help_lists_each_rule_on_its_own_line() {
    let help = rules_help();
    assert!(help.starts_with("Rules:\n"), "{help}");
    assert_eq!(help.lines().count(), RULES.len() + 1, "{help}");
    assert!(help.contains(
        "\n  hpa-target                    a HorizontalPodAutoscaler whose target is not in the output\n"
    ));
}

/// A kustomization finding is placed at the key of its field, for `-o
/// json` and `-o github`; without the text, at the file alone.
#[test]
fn kustomization_findings_are_placed_at_their_field() {
    let text = "kind: Component\ncommonLabels:\n  team: a\n";
    let doc = compose_yaml::parse_one(text).unwrap();
    let shown = "components/api/kustomization.yaml";
    let found = component_kustomization("api", shown, Some(text), &doc);
    let rules: Vec<&str> = found.iter().map(|f| f.rule).collect();
    assert_eq!(rules, ["component-labels", "selector-labels"]);
    for f in &found {
        assert_eq!(
            f.place,
            Place {
                file: Some(shown.into()),
                line: Some(2),
                column: Some(1),
                object: None,
                field: None,
            }
        );
    }
    let found = component_kustomization("api", shown, None, &doc);
    assert_eq!(found[0].place.file.as_deref(), Some(shown));
    assert_eq!(found[0].place.line, None);
}

/// Every place a pod spec names another object, with the JSON pointer of
/// the name; an optional reference is none.
#[test]
fn references_are_found_with_their_pointers() {
    let spec = compose_yaml::parse_one(
        "\
serviceAccountName: sa
imagePullSecrets: [{name: pull}]
volumes:
- {name: a, configMap: {name: cm}}
- {name: b, secret: {secretName: sec}}
- {name: c, persistentVolumeClaim: {claimName: claim}}
- {name: d, projected: {sources: [{configMap: {name: pcm}}, {secret: {name: psec, optional: true}}]}}
initContainers:
- {name: init, envFrom: [{secretRef: {name: ef}}]}
containers:
- name: app
  envFrom: [{configMapRef: {name: efcm}}]
  env:
  - {name: X, valueFrom: {configMapKeyRef: {name: kcm, key: k}}}
  - {name: Y, valueFrom: {secretKeyRef: {name: ksec, key: k}}}
  - {name: Z, value: plain}
",
    )
    .unwrap();
    let found: Vec<(&str, &str, String, String)> = references(&spec)
        .into_iter()
        .map(|r| (r.kind, r.name, r.place, r.pointer))
        .collect();
    let want = [
        (
            "ServiceAccount",
            "sa",
            "serviceAccountName",
            "/serviceAccountName",
        ),
        (
            "Secret",
            "pull",
            "imagePullSecrets",
            "/imagePullSecrets/0/name",
        ),
        ("ConfigMap", "cm", "volume `a`", "/volumes/0/configMap/name"),
        (
            "Secret",
            "sec",
            "volume `b`",
            "/volumes/1/secret/secretName",
        ),
        (
            "PersistentVolumeClaim",
            "claim",
            "volume `c`",
            "/volumes/2/persistentVolumeClaim/claimName",
        ),
        (
            "ConfigMap",
            "pcm",
            "volume `d`",
            "/volumes/3/projected/sources/0/configMap/name",
        ),
        (
            "Secret",
            "ef",
            "envFrom of container `init`",
            "/initContainers/0/envFrom/0/secretRef/name",
        ),
        (
            "ConfigMap",
            "efcm",
            "envFrom of container `app`",
            "/containers/0/envFrom/0/configMapRef/name",
        ),
        (
            "ConfigMap",
            "kcm",
            "env `X` of container `app`",
            "/containers/0/env/0/valueFrom/configMapKeyRef/name",
        ),
        (
            "Secret",
            "ksec",
            "env `Y` of container `app`",
            "/containers/0/env/1/valueFrom/secretKeyRef/name",
        ),
    ];
    let want: Vec<(&str, &str, String, String)> = want
        .iter()
        .map(|(k, n, p, at)| (*k, *n, p.to_string(), at.to_string()))
        .collect();
    assert_eq!(found, want);
}
