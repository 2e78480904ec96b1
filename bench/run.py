#!/usr/bin/env python3
"""Side-by-side benchmarks of `compose kustomize` against `kubectl kustomize`.

usage: bench/run.py [--sizes 50,100,200,400,800] [--kubectl-sizes 50,100,200]
                    [--flat 15000] [--kubectl-flat 1000] [--runs 10]
                    [--corpus DIR] [--out target/bench] [--smoke]

Everything is measured in one run, on one machine, with hyperfine:

* scaling: trees from bench/gen-tree.py with N components, built by compose
  at every size and by kubectl at the --kubectl-sizes (kubectl grows much
  faster than linearly, so its large sizes take minutes);
* correctness: at every kubectl size the two outputs must be byte-identical,
  or the run fails;
* the floor: crates/yaml/examples/yaml_floor.rs parses every input file and
  emits the documents once, with compose's own YAML layer and no kustomize
  semantics;
* a flat tree: one file of --flat small documents;
* peak memory (maximum resident set size, from /usr/bin/time) and output size;
* the values pipeline on the example project in this repository;
* real trees from the conformance corpus, when --corpus names one.

Results go to OUT/results.md (printed at the end) and OUT/*.json (hyperfine's
raw exports). --smoke runs a tiny configuration that only checks that
everything finishes and that the outputs agree.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def need_hyperfine():
    if shutil.which("hyperfine"):
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("bench: installing hyperfine from the distribution's packages", file=sys.stderr)
        sh(["apt-get", "update", "-qq"])
        sh(["apt-get", "install", "-y", "-qq", "hyperfine"], stdout=subprocess.DEVNULL)
        return
    sys.exit("bench: hyperfine is required (Debian/Ubuntu: apt-get install hyperfine)")


def hyperfine(name, out, commands, runs, warmup=3):
    """Times `commands` ({label: shell-free argv string}); returns {label: (median, stddev) seconds}.

    The median, not the mean: on a shared machine a few runs land on a busy
    moment, and one 30 ms outlier moves a 10 ms mean by a tenth."""
    path = os.path.join(out, f"{name}.json")
    cmd = ["hyperfine", "-N", "--style", "basic", "--export-json", path, "--warmup", str(warmup), "--runs", str(runs)]
    for label, argv in commands.items():
        cmd += ["-n", label, argv]
    sh(cmd, stdout=subprocess.DEVNULL)
    with open(path) as fh:
        data = json.load(fh)
    return {r["command"]: (r["median"], r["stddev"] or 0.0) for r in data["results"]}


# compose turns off transparent huge pages and mimalloc's 1 s purge delay
# at start-up (src/main.rs); these variables bring mimalloc's defaults
# back, so the tables show the peak both ways.
MIMALLOC_DEFAULTS = {"MIMALLOC_ALLOW_THP": "1", "MIMALLOC_PURGE_DELAY": "1000"}


MIB = 1024 * 1024


def rss_limit_mib(output_bytes):
    """The memory target, 3 x the output + 20, in MiB like the RSS it is
    compared with (/usr/bin/time reports KiB)."""
    return 3 * output_bytes / MIB + 20


def peak_rss_mib(argv, cwd=None, env=None, runs=3):
    """Maximum resident set size, in MiB: the largest of `runs` runs, since
    it varies by a few hundred KiB from run to run."""
    peaks = []
    for _ in range(runs):
        res = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, cwd=cwd, stdout=subprocess.DEVNULL,
                             env=dict(os.environ, **(env or {})),
                             stderr=subprocess.PIPE, text=True, check=True)
        peaks.append(int(res.stderr.strip().splitlines()[-1]) / 1024.0)
    return max(peaks)


def output_of(argv, cwd=None):
    return subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.PIPE).stdout


def fmt_t(s):
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="50,100,200,400,800")
    ap.add_argument("--kubectl-sizes", default="50,100,200")
    ap.add_argument("--flat", type=int, default=15000)
    ap.add_argument("--kubectl-flat", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--corpus", default=os.environ.get("CONFORMANCE_DIR", ""))
    ap.add_argument("--out", default=os.path.join(REPO, "target", "bench"))
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    if a.smoke:
        a.sizes, a.kubectl_sizes, a.flat, a.kubectl_flat, a.runs = "20,40", "20", 500, 0, 2
    sizes = [int(x) for x in a.sizes.split(",") if x]
    kubectl = shutil.which("kubectl")
    ksizes = [int(x) for x in a.kubectl_sizes.split(",") if x] if kubectl else []
    os.makedirs(a.out, exist_ok=True)
    need_hyperfine()

    sh(["cargo", "build", "--release", "--quiet", "--bin", "compose"], cwd=REPO)
    sh(["cargo", "build", "--release", "--quiet", "-p", "compose-yaml", "--example", "yaml_floor"], cwd=REPO)
    compose = os.path.join(REPO, "target", "release", "compose")
    floor = os.path.join(REPO, "target", "release", "examples", "yaml_floor")
    gen = os.path.join(REPO, "bench", "gen-tree.py")

    lines = []
    say = lines.append
    checks = []  # (target, measured, ok)
    say("# Benchmark results\n")
    kver = output_of([kubectl, "version", "--client"]).decode().replace("\n", "; ") if kubectl else "not installed"
    say(f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}")
    say(f"- kubectl: {kver}")
    say(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    say(f"- method: hyperfine -N, medians; 3 warm-ups and {a.runs} runs for compose and the floor; "
        "kubectl: 5 runs up to N=50, 3 up to N=100, 1 above\n")

    # --- scaling ---------------------------------------------------------------
    trees = {}
    for n in sizes:
        root = os.path.join(a.out, f"tree-{n}")
        if not os.path.isdir(root):
            sh([sys.executable, gen, root, "--components", str(n)])
        trees[n] = os.path.join(root, "overlays", "dev")
    results = {}
    for n in sizes:
        cmds = {f"compose N={n}": f"{compose} kustomize {trees[n]}",
                f"floor N={n}": f"{floor} {os.path.dirname(os.path.dirname(trees[n]))}"}
        results.update(hyperfine(f"scale-{n}", a.out, cmds, a.runs))
    identical = {}
    for n in ksizes:
        if n not in trees:
            continue
        runs = 5 if n <= 50 else 3 if n <= 100 else 1
        results.update(hyperfine(f"kubectl-{n}", a.out, {f"kubectl N={n}": f"{kubectl} kustomize {trees[n]}"},
                                 runs, warmup=0))
        identical[n] = output_of([compose, "kustomize", trees[n]]) == output_of([kubectl, "kustomize", trees[n]])
    say("## Scaling (bench/gen-tree.py, `kustomize overlays/dev`)\n")
    say("| N | objects | output | compose | floor | compose / floor | peak RSS | peak RSS, mimalloc defaults | kubectl | kubectl / compose | identical |")
    say("|---|---|---|---|---|---|---|---|---|---|---|")
    prev = None
    growth = []
    for n in sizes:
        out = output_of([compose, "kustomize", trees[n]])
        objects = out.count(b"\n---\n") + 1
        c, _ = results[f"compose N={n}"]
        f, _ = results[f"floor N={n}"]
        rss = peak_rss_mib([compose, "kustomize", trees[n]])
        rss_defaults = peak_rss_mib([compose, "kustomize", trees[n]], env=MIMALLOC_DEFAULTS)
        k = results.get(f"kubectl N={n}")
        kcol = fmt_t(k[0]) if k else "-"
        ratio = f"{k[0] / c:.0f}x" if k else "-"
        same = {True: "yes", False: "**NO**"}.get(identical.get(n), "-")
        say(f"| {n} | {objects} | {len(out) / 1e6:.2f} MB | {fmt_t(c)} | {fmt_t(f)} | {c / f:.2f} | {rss:.1f} MiB | {rss_defaults:.1f} MiB | {kcol} | {ratio} | {same} |")
        if prev and n == 2 * prev[0]:
            growth.append(f"time(N={n}) / time(N={prev[0]}) = {c / prev[1]:.2f}")
            if n >= 400:
                checks.append((f"linear: time(N={n}) / time(N={prev[0]}) <= 2.3", f"{c / prev[1]:.2f}", c / prev[1] <= 2.3))
        prev = (n, c)
        if k and n in (50, 200):
            want = 100 if n == 50 else 1000
            checks.append((f">= {want}x kubectl at N={n}", f"{k[0] / c:.0f}x", k[0] / c >= want))
        checks.append((f"within 3x of the floor at N={n}", f"{c / f:.2f}x", c / f <= 3))
        checks.append((f"peak RSS <= 3 x output + 20 MiB at N={n}", f"{rss:.1f} MiB (limit {rss_limit_mib(len(out)):.1f} MiB)",
                       rss <= rss_limit_mib(len(out))))
    say("")
    for g in growth:
        say(f"- {g}")
    say("")

    # --- flat file ---------------------------------------------------------------
    if a.flat:
        root = os.path.join(a.out, f"flat-{a.flat}")
        if not os.path.isdir(root):
            sh([sys.executable, gen, root, "--flat-objects", str(a.flat)])
        d = os.path.join(root, "flat")
        size = os.path.getsize(os.path.join(d, "objects.yaml"))
        r = hyperfine("flat", a.out, {"compose flat": f"{compose} kustomize {d}", "floor flat": f"{floor} {d}"}, a.runs)
        out = output_of([compose, "kustomize", d])
        rss = peak_rss_mib([compose, "kustomize", d])
        rss_defaults = peak_rss_mib([compose, "kustomize", d], env=MIMALLOC_DEFAULTS)
        say(f"## One flat file of {a.flat} objects ({size / 1e6:.1f} MB in, {len(out) / 1e6:.1f} MB out)\n")
        say(f"- compose: {fmt_t(r['compose flat'][0])}; floor: {fmt_t(r['floor flat'][0])}; "
            f"peak RSS {rss:.1f} MiB, {rss_defaults:.1f} MiB with mimalloc's defaults (huge pages, 1 s purge delay) "
            f"(3 x output + 20 MiB = {rss_limit_mib(len(out)):.1f} MiB)")
        checks.append((f"{a.flat} objects in one file build in <= 1 s", fmt_t(r['compose flat'][0]), r['compose flat'][0] <= 1))
        checks.append((f"peak RSS <= 3 x output + 20 MiB, flat file", f"{rss:.1f} MiB (limit {rss_limit_mib(len(out)):.1f} MiB)",
                       rss <= rss_limit_mib(len(out))))
        if kubectl and a.kubectl_flat:
            kroot = os.path.join(a.out, f"flat-{a.kubectl_flat}")
            if not os.path.isdir(kroot):
                sh([sys.executable, gen, kroot, "--flat-objects", str(a.kubectl_flat)])
            kd = os.path.join(kroot, "flat")
            kr = hyperfine("flat-kubectl", a.out, {"kubectl": f"{kubectl} kustomize {kd}",
                                                    "compose": f"{compose} kustomize {kd}"}, 1, warmup=0)
            same = output_of([compose, "kustomize", kd]) == output_of([kubectl, "kustomize", kd])
            say(f"- {a.kubectl_flat} objects: kubectl {fmt_t(kr['kubectl'][0])}, compose {fmt_t(kr['compose'][0])} "
                f"({kr['kubectl'][0] / kr['compose'][0]:.0f}x), identical: {'yes' if same else '**NO**'}")
        say("")

    # --- the values pipeline ---------------------------------------------------------
    r = hyperfine("values", a.out, {
        "render dev": f"{compose} -C {REPO} --values values-dev.yaml",
        "render prod": f"{compose} -C {REPO} --values values-prod.yaml",
        "validate dev": f"{compose} validate -C {REPO} --values values-dev.yaml",
    }, a.runs)
    say("## The values pipeline on the example project (validate + template + build + emit)\n")
    for label, (t, sd) in r.items():
        say(f"- {label}: {fmt_t(t)} ± {fmt_t(sd)}")
        if label.startswith("render"):
            checks.append((f"values pipeline ({label}) <= 20 ms", fmt_t(t), t <= 0.020))
    say("")

    # --- real trees --------------------------------------------------------------------
    if a.corpus and os.path.isdir(os.path.join(a.corpus, "cases")):
        say("## Real trees from the conformance corpus\n")
        say("| case | output | compose | kubectl | kubectl / compose | identical |")
        say("|---|---|---|---|---|---|")
        # kube-prometheus and the largest microservices-demo trees (the
        # ratio targets), then a small tree where start-up dominates.
        largest = ["real-kube-prometheus", "real-microservices-demo-combo-many",
                   "real-microservices-demo-tests-service-mesh-istio-with-all-components",
                   "real-microservices-demo-tests-spanner-with-all-components"]
        for case in largest + ["real-podinfo-deploy-overlays-production"]:
            cdir = os.path.join(a.corpus, "cases", case)
            if not os.path.isdir(cdir):
                continue
            with open(os.path.join(cdir, "case.json")) as fh:
                entry = json.load(fh)["entry"]
            cwd = os.path.join(cdir, "input")
            target = os.path.join(cwd, entry)
            r = hyperfine(f"real-{case}", a.out, {"compose": f"{compose} kustomize {target}",
                                                   "kubectl": f"{kubectl} kustomize {target}"}, 5)
            out = output_of([compose, "kustomize", target])
            same = out == output_of([kubectl, "kustomize", target])
            ratio = r['kubectl'][0] / r['compose'][0]
            say(f"| {case} | {len(out) / 1e6:.2f} MB | {fmt_t(r['compose'][0])} | {fmt_t(r['kubectl'][0])} | "
                f"{ratio:.0f}x | {'yes' if same else '**NO**'} |")
            if case in largest:
                checks.append((f">= 30x kubectl on {case}", f"{ratio:.0f}x", ratio >= 30))
        say("")

    say("## Targets\n")
    say("| target | measured | met |")
    say("|---|---|---|")
    for target, measured, ok in checks:
        say(f"| {target} | {measured} | {'yes' if ok else '**no**'} |")
    say("")
    text = "\n".join(lines)
    with open(os.path.join(a.out, "results.md"), "w") as fh:
        fh.write(text + "\n")
    print(text)
    if any(v is False for v in identical.values()):
        sys.exit("bench: compose and kubectl disagree on a tree (see the table)")


if __name__ == "__main__":
    main()
