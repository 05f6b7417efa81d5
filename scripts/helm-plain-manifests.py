#!/usr/bin/env python3
"""Writes deploy/daemonset.yaml, deploy/daemonset-textfile.yaml and
deploy/cronjob.yaml from the chart, so the plain manifests (for
`kubectl apply -f`) and deploy/helm/ctaudit never drift apart.

Each is the chart rendered by Helm's own code (scripts/helm-sdk.py) with
release name and namespace "ctaudit" and the values below, with Helm's
bookkeeping labels (helm.sh/chart, app.kubernetes.io/instance, version,
managed-by) left out, a Namespace in front, and the distribution-specific
node mounts (k3s, MicroK8s, CRI-O, /etc/calico) as commented blocks: the
lines the chart adds with every nodePaths value on, commented out.

  scripts/helm-plain-manifests.py          # rewrite the three files
  scripts/helm-plain-manifests.py --check  # exit 1 if a file differs (the test runs this)
"""
import difflib
import os
import re
import subprocess
import sys

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CHART = os.path.join(REPO, "deploy", "helm", "ctaudit")
ALL_PATHS = ["nodePaths.k3s=true", "nodePaths.microk8s=true", "nodePaths.microk8sFlannel=true",
             "nodePaths.crio=true", "nodePaths.calicoEtc=true"]
BOOKKEEPING = re.compile(r"^\s*(helm\.sh/chart|app\.kubernetes\.io/(instance|version|managed-by)): ")

MANIFESTS = {
    "daemonset.yaml": ([], """\
# ctaudit on every node, continuously: `ctaudit watch` follows the node's
# conntrack events (one process, no loop) and serves Prometheus counters on
# http://NODE_IP:9814/metrics (docs/WATCH.md). Every violation is counted,
# also those whose entries expire between two runs of a periodic audit.
#
#   kubectl apply -f deploy/daemonset.yaml
#
# Prometheus scrapes each node's port 9814 (the prometheus.io annotations, or
# the chart's ServiceMonitor/PodMonitor). Keep 9814 closed to the outside in
# the node firewall. For nodes without a scrape path, use
# deploy/daemonset-textfile.yaml instead. watch names no pods, so it needs
# neither hostPID nor more than NET_ADMIN and DAC_READ_SEARCH.
"""),
    "daemonset-textfile.yaml": (["daemonset.mode=textfile"], """\
# The textfile alternative to deploy/daemonset.yaml, for nodes Prometheus
# cannot scrape directly: audits the node's own conntrack table every 60 s,
# names the pods behind violations and reads their port ranges, and writes
# Prometheus metrics into node_exporter's textfile collector directory
# (ctaudit.prom from audit, ctaudit-stats.prom from stats). A 60 s snapshot
# misses violations whose entries live shorter than that (unreplied UDP: 30 s);
# docs/REPORTS.md says when to use which. Apply one of the two, not both
# (same names).
#
#   kubectl apply -f deploy/daemonset-textfile.yaml
#
# node_exporter must run with --collector.textfile.directory=/var/lib/node_exporter/textfile_collector
# (change the hostPath below if yours differs).
"""),
    "cronjob.yaml": (["daemonset.enabled=false", "cronjob.enabled=true"], """\
# A CronJob example: every 15 minutes, audit the node the job lands on and
# keep a JSON report per run on that node, for `ctaudit merge` later. A
# CronJob runs on one node per run; for every node use the DaemonSet, or one
# CronJob per node pool with a nodeSelector. The job fails
# (kube_job_status_failed) above --max-violations.
"""),
}

COMMON = """\
#
# Generated from deploy/helm/ctaudit by scripts/helm-plain-manifests.py: edit
# the chart and rerun it (a test fails when this file and the chart differ).
# The chart's values are documented in docs/DEPLOY.md.
#
# Needs Kubernetes 1.30 or later (securityContext.appArmorProfile and
# recursiveReadOnly mounts). Runs as uid 65532 with only the capabilities
# this mode needs (docs/DEPLOY.md, "Capabilities"). The node's files are
# mounted read-only under /host and read with --root /host. The mounts fit
# containerd nodes (kubeadm, most managed clusters); k3s, MicroK8s and CRI-O
# keep the same files elsewhere: uncomment their blocks (the chart: nodePaths).
# Alert rules: deploy/ctaudit-alerts.rules.yml.
apiVersion: v1
kind: Namespace
metadata:
  name: ctaudit
"""


def render(sets):
    command = [sys.executable, os.path.join(REPO, "scripts", "helm-sdk.py"), "template", "ctaudit", CHART,
               "--namespace", "ctaudit"]
    for expression in sets:
        command += ["--set", expression]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"helm-plain-manifests: {' '.join(command)}: {result.stderr.strip()}")
    lines = []
    for line in result.stdout.splitlines():
        if line.startswith("# Source: ") or BOOKKEEPING.match(line):
            continue
        if not line.strip() and lines and lines[-1] == "---":
            continue
        lines.append(line)
    return lines


def commented(lines):
    """The lines commented out at their common indentation (uncommenting gives them back)."""
    indent = min(len(line) - len(line.lstrip(" ")) for line in lines)
    return [line[:indent] + "# " + line[indent:] for line in lines]


def manifest(sets, header):
    base, everything = render(sets), render(sets + ALL_PATHS)
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=base, b=everything, autojunk=False).get_opcodes():
        if tag == "equal":
            out += base[i1:i2]
        elif tag == "insert":
            out += commented(everything[j1:j2])
        else:
            sys.exit(f"helm-plain-manifests: nodePaths changed lines instead of adding them: {base[i1:i2]} -> {everything[j1:j2]}")
    return header + COMMON + "\n".join(out) + "\n"


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for name, (sets, header) in MANIFESTS.items():
        path = os.path.join(REPO, "deploy", name)
        text = manifest(sets, header)
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
        if current == text:
            continue
        stale.append(name)
        if check:
            diff = difflib.unified_diff(current.splitlines(), text.splitlines(), f"deploy/{name}", "chart", lineterm="", n=1)
            print("\n".join(list(diff)[:40]))
        else:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
    if check and stale:
        print(f"helm-plain-manifests: {', '.join(stale)} differ from the chart: run scripts/helm-plain-manifests.py", file=sys.stderr)
        return 1
    if not check:
        print(f"helm-plain-manifests: wrote {', '.join(stale) or 'nothing (up to date)'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
