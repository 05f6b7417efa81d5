#!/usr/bin/env python3
"""`helm lint` and `helm template` without the helm binary.

Helm cannot be built here (no Go module proxy), and no helm binary can be
downloaded. PyPI's helm-python-sdk ships libhelm_c.so, Helm's own Go code
(helm.sh/helm/v4 v4.2.3, compiled into a C library) behind ctypes: this
script calls that code, not a reimplementation of it.

  lint      action.Lint, what `helm lint` runs (--strict: warnings fail too);
            exit 1 when it reports an error (or a warning with --strict).
  template  engine.Render with the chart's values, the release name and
            namespace and Helm's default capabilities: what `helm template`
            renders offline. Printed like helm template prints it (a
            "# Source:" comment before each document; NOTES.txt left out),
            in template path order rather than Helm's install order.

  scripts/helm-sdk.py lint deploy/helm/ctaudit [--strict] [-f VALUES]...
  scripts/helm-sdk.py template RELEASE deploy/helm/ctaudit [--namespace NS] [-f VALUES]... [--set K=V]...

pip install helm-python-sdk (make test-deps does).
"""
import argparse
import sys

try:
    import helm_python as helm
except ImportError:
    print("helm-sdk: the helm_python module is missing: pip install helm-python-sdk (make test-deps does)", file=sys.stderr)
    sys.exit(3)

SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


def merged_values(files, sets):
    """Values files merged left to right (maps deep-merged, like helm -f), then --set."""
    def merge(base, extra):
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                merge(base[key], value)
            else:
                base[key] = value
        return base

    values = {}
    for path in files:
        with open(path, encoding="utf-8") as handle:
            merge(values, helm.values_from_yaml(handle.read()))
    for expression in sets:
        merge(values, helm.parse_set_string(expression))
    return values


def lint(arguments):
    helm.disable_logging()
    report = helm.lint(arguments.chart, merged_values(arguments.values, arguments.set) or None,
                       strict=arguments.strict, kube_version=arguments.kube_version)
    worst = 0
    for message in report["messages"]:
        worst = max(worst, message["severity"])
        print(f"[{SEVERITY.get(message['severity'], '?')}] {message['path']}: {message['error']}")
    for error in report["errors"]:
        worst = 3
        print(f"[ERROR] {error}")
    failed = worst >= 3 or (arguments.strict and worst >= 2)
    print(f"{report['total_charts_linted']} chart(s) linted, {'failed' if failed else 'no failures'}"
          f" (Helm {helm.helm_sdk_version()} via helm-python-sdk)")
    return 1 if failed else 0


def template(arguments):
    helm.disable_logging()
    chart = helm.Chart.load(arguments.chart)
    values = merged_values(arguments.values, arguments.set)
    chart.validate_schema(values or None)
    rendered = chart.render(values or None, name=arguments.release, namespace=arguments.namespace)
    out = []
    for path in sorted(rendered):
        text = rendered[path]
        if path.endswith("NOTES.txt") or not text.strip():
            continue
        out.append(f"---\n# Source: {path}\n{text.rstrip()}\n")
    sys.stdout.write("".join(out))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("lint", "template"):
        command = sub.add_parser(name)
        if name == "template":
            command.add_argument("release")
            command.add_argument("--namespace", "-n", default="default")
        command.add_argument("chart")
        command.add_argument("-f", "--values", action="append", default=[])
        command.add_argument("--set", action="append", default=[])
        if name == "lint":
            command.add_argument("--strict", action="store_true")
            command.add_argument("--kube-version", default=None)
    arguments = parser.parse_args()
    try:
        return lint(arguments) if arguments.command == "lint" else template(arguments)
    except helm.HelmError as error:
        print(f"helm-sdk: {arguments.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
