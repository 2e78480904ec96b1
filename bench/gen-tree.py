#!/usr/bin/env python3
"""Write a synthetic compose/kustomize tree for benchmarks.

usage: gen-tree.py OUT --components N [--flat-objects M]

With --components N it writes a kustomize tree that exercises the common
transformers at scale:
  OUT/base/               Namespace, ServiceAccount, shared ConfigMap
  OUT/components/svcNNNN/ a Component per service, one object per file:
                          Deployment, Service, HorizontalPodAutoscaler,
                          PodDisruptionBudget, NetworkPolicy; plus a
                          ConfigMap and a Secret generator
  OUT/overlays/dev/       the base plus every component, with namespace,
                          namePrefix, labels, commonAnnotations, images,
                          replicas, a strategic-merge and a JSON 6902 patch
Build it with `compose kustomize OUT/overlays/dev`.

With --flat-objects M it writes OUT/flat/ instead: one kustomization over a
single multi-document file of M small objects (the worst case for tools
whose cost grows with the square of the object count).

The same arguments always give the same bytes.
"""
import argparse
import os


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def write_split(d, text):
    """Writes each document of `text` to its own file, named after its kind
    (one object per file, the common layout of real components)."""
    for doc in text.split("\n---\n"):
        kind = next(l for l in doc.splitlines() if l.startswith("kind: "))[6:]
        write(f"{d}/{kind.lower()}.yaml", doc if doc.endswith("\n") else doc + "\n")


def service(root, i):
    name = f"svc{i:04d}"
    d = os.path.join(root, "components", name)
    write(f"{d}/kustomization.yaml", f"""apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
- deployment.yaml
- horizontalpodautoscaler.yaml
- poddisruptionbudget.yaml
- service.yaml
- networkpolicy.yaml
configMapGenerator:
- name: {name}-settings
  literals:
  - LOG_LEVEL={"debug" if i % 3 == 0 else "info"}
  - THREADS={i % 5 + 2}
secretGenerator:
- name: {name}-credentials
  literals:
  - API_KEY=bench-only-{i:05d}
""")
    write_split(d, f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: {name}
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
    spec:
      serviceAccountName: runner
      containers:
      - name: app
        image: registry.example.com/bench/{name}:1.0.0
        args: ["--port=8080", "--threads=$(THREADS)"]
        ports:
        - name: http
          containerPort: 8080
        envFrom:
        - configMapRef:
            name: {name}-settings
        env:
        - name: API_KEY
          valueFrom:
            secretKeyRef:
              name: {name}-credentials
              key: API_KEY
        resources:
          requests: {{cpu: 50m, memory: 64Mi}}
          limits: {{cpu: 500m, memory: 256Mi}}
        readinessProbe:
          httpGet: {{path: /ready, port: http}}
        volumeMounts:
        - name: shared
          mountPath: /etc/shared
      volumes:
      - name: shared
        configMap:
          name: shared
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {name}
  minReplicas: 2
  maxReplicas: {i % 8 + 3}
  metrics:
  - type: Resource
    resource:
      name: cpu
      target: {{type: Utilization, averageUtilization: 75}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {name}
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
""")
    write_split(d, f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector:
    app.kubernetes.io/name: {name}
  ports:
  - name: http
    port: 80
    targetPort: http
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {name}
  policyTypes: [Ingress]
  ingress:
  - ports:
    - port: 8080
      protocol: TCP
""")


def tree(root, n):
    write(f"{root}/base/kustomization.yaml", """resources:
- namespace.yaml
- runner.yaml
configMapGenerator:
- name: shared
  literals:
  - REGION=eu-west-1
""")
    write(f"{root}/base/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n")
    write(f"{root}/base/runner.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: runner\n")
    for i in range(n):
        service(root, i)
    comps = "".join(f"- ../../components/svc{i:04d}\n" for i in range(n))
    images = "".join(
        f"- name: registry.example.com/bench/svc{i:04d}\n  newTag: 1.0.{i % 10}\n" for i in range(0, n, 2)
    )
    replicas = "".join(f"- name: svc{i:04d}\n  count: 3\n" for i in range(0, n, 3))
    write(f"{root}/overlays/dev/kustomization.yaml", f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: bench-dev
namePrefix: dev-
labels:
- pairs:
    environment: dev
  includeSelectors: false
commonAnnotations:
  owner: platform-team
resources:
- ../../base
components:
{comps}images:
{images}replicas:
{replicas}patches:
- target:
    kind: Deployment
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: any
    spec:
      template:
        spec:
          containers:
          - name: app
            env:
            - name: ENVIRONMENT
              value: dev
- target:
    kind: HorizontalPodAutoscaler
  patch: |-
    - op: replace
      path: /spec/minReplicas
      value: 1
""")


def flat(root, m):
    docs = []
    for i in range(m):
        docs.append(f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: item-{i:05d}
  labels:
    app.kubernetes.io/name: item-{i:05d}
    app.kubernetes.io/part-of: flat-bench
    group: g{i % 13}
  annotations:
    example.com/owner: team-{i % 7}
data:
  index: "{i}"
  note: generated object number {i} of a large flat file
  enabled: "{'true' if i % 2 else 'false'}"
  settings.yaml: |
    level: {i % 5}
    retries: 3
    endpoint: http://svc-{i % 97}.bench.svc:8080/v1
""")
    write(f"{root}/flat/objects.yaml", "---\n".join(docs))
    write(f"{root}/flat/kustomization.yaml", "resources:\n- objects.yaml\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--components", type=int, default=0)
    p.add_argument("--flat-objects", type=int, default=0)
    a = p.parse_args()
    if a.components:
        tree(a.out, a.components)
    if a.flat_objects:
        flat(a.out, a.flat_objects)


if __name__ == "__main__":
    main()
