//! Oracle checks of the name-reference step as replacements and vars
//! rely on it: after prefixes and namespaces, references follow the
//! renamed objects. Expected documents are kubectl kustomize's output for
//! the same inputs (a kustomization with `namespace` and `namePrefix`).

#[cfg(test)]
mod tests {
    use crate::config::TransformerConfig;
    use crate::nameref::fix_name_references;
    use crate::resource::Resource;
    use crate::transform::{add_prefix, set_namespace, NamespaceOptions};
    use compose_yaml::{parse_stream, Mapping, Node};

    /// Mappings with sorted keys, so documents compare regardless of key order.
    fn norm(n: &Node) -> Node {
        match n {
            Node::Map(m) => {
                let mut entries: Vec<(String, Node)> =
                    m.iter().map(|(k, v)| (k.to_string(), norm(v))).collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Node::Map(entries.into_iter().collect::<Mapping>())
            }
            Node::Seq(s) => Node::Seq(s.iter().map(norm).collect()),
            other => other.clone(),
        }
    }

    fn sorted_docs(nodes: Vec<Node>) -> Vec<Node> {
        let mut v: Vec<Node> = nodes.iter().filter(|n| !n.is_null()).map(norm).collect();
        v.sort_by_key(|n| n.to_string());
        v
    }

    fn build(input: &str, namespace: Option<&str>, prefix: &str) -> Vec<Node> {
        let tc = TransformerConfig::default();
        let mut rs: Vec<Resource> = parse_stream(input)
            .unwrap()
            .into_iter()
            .map(Resource::new)
            .collect();
        if let Some(ns) = namespace {
            set_namespace(&mut rs, ns, &tc.namespace, NamespaceOptions::default()).unwrap();
        }
        add_prefix(&mut rs, prefix, &tc.name_prefix).unwrap();
        fix_name_references(&mut rs, &tc.name_reference, 1).unwrap();
        rs.into_iter().map(|r| r.node).collect()
    }

    #[test]
    fn namespace_and_prefix_follow_every_reference_kind() {
        // volumes, projected sources, envFrom, configMapKeyRef,
        // serviceAccountName, RoleBinding roleRef and subjects (one in a
        // foreign namespace stays), ClusterRoleBinding, webhook service
        let got = sorted_docs(build(A_RES, Some("ns-a"), "a-"));
        let want = sorted_docs(parse_stream(A_WANT).unwrap());
        assert_eq!(got, want);
    }

    #[test]
    fn same_names_in_several_namespaces() {
        // each referrer picks the referent in its own namespace; one with
        // none in its namespace is left alone; a ClusterRoleBinding
        // subject follows the object of its namespace
        let got = sorted_docs(build(C_RES, None, "p-"));
        let want = sorted_docs(parse_stream(C_WANT).unwrap());
        assert_eq!(got, want);
    }

    const A_RES: &str = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {k: a}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: role}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: crole}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: role}
subjects:
- {kind: ServiceAccount, name: sa}
- {kind: ServiceAccount, name: sa, namespace: other}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: crole}
subjects:
- {kind: ServiceAccount, name: sa, namespace: ns-a}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      serviceAccountName: sa
      volumes:
      - name: v
        configMap: {name: cm}
      - name: p
        projected:
          sources:
          - configMap: {name: cm}
      containers:
      - name: c
        envFrom:
        - configMapRef: {name: cm}
        env:
        - name: X
          valueFrom:
            configMapKeyRef: {name: cm, key: k}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: vwc}
webhooks:
- name: w
  clientConfig:
    service: {name: svc, namespace: ns-a}
---
apiVersion: v1
kind: Service
metadata: {name: svc}
"#;

    const A_WANT: &str = r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: a-sa
  namespace: ns-a
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: a-role
  namespace: ns-a
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: a-crole
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: a-rb
  namespace: ns-a
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: a-role
subjects:
- kind: ServiceAccount
  name: a-sa
  namespace: ns-a
- kind: ServiceAccount
  name: sa
  namespace: other
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: a-crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: a-crole
subjects:
- kind: ServiceAccount
  name: a-sa
  namespace: ns-a
---
apiVersion: v1
data:
  k: a
kind: ConfigMap
metadata:
  name: a-cm
  namespace: ns-a
---
apiVersion: v1
kind: Service
metadata:
  name: a-svc
  namespace: ns-a
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: a-d
  namespace: ns-a
spec:
  template:
    spec:
      containers:
      - env:
        - name: X
          valueFrom:
            configMapKeyRef:
              key: k
              name: a-cm
        envFrom:
        - configMapRef:
            name: a-cm
        name: c
      serviceAccountName: a-sa
      volumes:
      - configMap:
          name: a-cm
        name: v
      - name: p
        projected:
          sources:
          - configMap:
              name: a-cm
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: a-vwc
webhooks:
- clientConfig:
    service:
      name: a-svc
      namespace: ns-a
  name: w
"#;

    const C_RES: &str = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: x}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: y}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa, namespace: x}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa, namespace: y}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: crole}
subjects:
- {kind: ServiceAccount, name: sa, namespace: x}
- {kind: ServiceAccount, name: sa, namespace: y}
- {kind: ServiceAccount, name: sa, namespace: z}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: x}
spec:
  template:
    spec:
      serviceAccountName: sa
      volumes:
      - name: v
        configMap: {name: cm}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: z}
spec:
  template:
    spec:
      volumes:
      - name: v
        configMap: {name: cm}
"#;

    const C_WANT: &str = r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: p-sa
  namespace: x
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: p-sa
  namespace: "y"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: p-crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: crole
subjects:
- kind: ServiceAccount
  name: p-sa
  namespace: x
- kind: ServiceAccount
  name: p-sa
  namespace: "y"
- kind: ServiceAccount
  name: sa
  namespace: z
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: p-cm
  namespace: x
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: p-cm
  namespace: "y"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: p-d
  namespace: x
spec:
  template:
    spec:
      serviceAccountName: p-sa
      volumes:
      - configMap:
          name: p-cm
        name: v
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: p-d
  namespace: z
spec:
  template:
    spec:
      volumes:
      - configMap:
          name: cm
        name: v
"#;
}
