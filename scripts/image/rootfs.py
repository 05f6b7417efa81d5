#!/usr/bin/env python3
"""Builds the container image's runtime stage as a plain root filesystem.

There is no container engine where CI runs, so deploy/Containerfile's runtime
stage cannot be built as an image there. This builds the same thing another
way, from the Containerfile itself, so that the package list and the setup
commands have one source:

  1. the Debian suite of the stage's base image (debian:bookworm-slim ->
     bookworm) and the packages its marked `apt-get install` lists (between
     "# runtime-packages-begin" and "# runtime-packages-end");
  2. `debootstrap --variant=minbase --include=PACKAGES SUITE DIR MIRROR`
     (minbase is what the slim images are made of: the Essential set and apt);
  3. the stage's other instructions, in order: COPY (from the repository, or
     the ctaudit binary given with --binary for COPY --from=build), RUN (in a
     chroot), USER/ENTRYPOINT recorded in DIR/.image-config.json.

Usage (root; writes only under DIR, mounts nothing outside a private mount
namespace):
  scripts/image/rootfs.py packages                      # the package list
  scripts/image/rootfs.py build --binary PATH --out DIR [--mirror URL]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CONTAINERFILE = os.path.join(REPO, "deploy", "Containerfile")
BEGIN, END = "# runtime-packages-begin", "# runtime-packages-end"


def fail(message):
    print(f"rootfs: {message}", file=sys.stderr)
    sys.exit(2)


def instructions(text):
    """(keyword, argument, inside_package_block) for every instruction, continuation lines joined."""
    out, current, inside, block = [], None, False, False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
            continue
        if stripped == END:
            inside = False
            continue
        if current is None:
            if not stripped or stripped.startswith("#"):
                continue
            current, block = stripped, inside
        else:
            if stripped.startswith("#"):
                continue
            current += " " + stripped
        if current.endswith("\\"):
            current = current[:-1].rstrip()
            continue
        keyword, _, argument = current.partition(" ")
        out.append((keyword.upper(), argument.strip(), block))
        current = None
    return out


def runtime_stage(path):
    text = open(path, encoding="utf-8").read()
    steps = instructions(text)
    args = {}
    for keyword, argument, _ in steps:
        if keyword == "ARG" and "=" in argument:
            name, _, value = argument.partition("=")
            args.setdefault(name, value)
        if keyword == "FROM":
            break
    stage, base = None, None
    for keyword, argument, block in steps:
        if keyword == "FROM":
            words = argument.split()
            if len(words) == 3 and words[1].upper() == "AS" and words[2] == "runtime":
                base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), words[0])
                stage = []
            elif stage is not None:
                break
            continue
        if stage is not None:
            stage.append((keyword, argument, block))
    if stage is None:
        fail(f"{path} has no 'FROM ... AS runtime' stage")
    return base, stage


def packages(stage):
    found = []
    for keyword, argument, block in stage:
        if keyword == "RUN" and block:
            for command in argument.split("&&"):
                words = command.split()
                if "install" in words and "apt-get" in words:
                    found += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    if not found:
        fail(f"no 'apt-get install' between '{BEGIN}' and '{END}' in the runtime stage")
    return found


def suite_of(base):
    match = re.fullmatch(r"(?:docker\.io/)?(?:library/)?debian:(\w+?)(?:-slim)?", base)
    if not match:
        fail(f"the runtime stage's base image {base} is not a Debian suite image (debian:SUITE[-slim])")
    return match.group(1)


def build(arguments):
    base, stage = runtime_stage(arguments.containerfile)
    suite = suite_of(base)
    wanted = packages(stage)
    out = os.path.abspath(arguments.out)
    if os.path.exists(out) and os.listdir(out):
        fail(f"{out} exists and is not empty")
    os.makedirs(out, exist_ok=True)
    started = time.monotonic()
    # A private mount namespace: debootstrap mounts /proc and /sys inside the
    # target while it installs; none of that can outlive it or leak out.
    subprocess.run(["unshare", "--mount", "--propagation", "private", "debootstrap", "--variant=minbase",
                    "--include=" + ",".join(wanted), suite, out, arguments.mirror],
                   check=True, stdout=subprocess.DEVNULL if arguments.quiet else None)
    bootstrapped = time.monotonic() - started
    config = {"base": base, "suite": suite, "packages": wanted, "user": "0", "entrypoint": None,
              "debootstrap_seconds": round(bootstrapped, 1)}
    for keyword, argument, block in stage:
        if keyword == "RUN" and block:
            continue  # its packages came from debootstrap --include
        if keyword == "RUN":
            # As a build container runs it: /proc mounted (Swift reads its
            # arguments from /proc/self/cmdline), in a network namespace of
            # its own (nothing it runs can see or touch the machine's).
            script = 'mount -t proc proc "$0/proc" && exec chroot "$0" /bin/sh -ec "$1"'
            subprocess.run(["unshare", "--mount", "--propagation", "private", "--net", "--pid", "--fork",
                            "/bin/sh", "-ec", script, out, argument],
                           check=True, env={"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"})
        elif keyword == "COPY":
            words = argument.split()
            source_from = [w for w in words if w.startswith("--from=")]
            sources, destination = [w for w in words[:-1] if not w.startswith("--")], words[-1]
            if len(sources) != 1:
                fail(f"COPY {argument}: one source expected")
            if source_from:
                if source_from[0] != "--from=build" or not sources[0].endswith("/ctaudit"):
                    fail(f"COPY {argument}: only the build stage's ctaudit binary can come from another stage")
                source = arguments.binary
            else:
                source = os.path.join(REPO, sources[0])
            target = os.path.join(out, destination.lstrip("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(source, target)
        elif keyword == "USER":
            config["user"] = argument
        elif keyword == "ENTRYPOINT":
            config["entrypoint"] = json.loads(argument)
        elif keyword in ("CMD", "ARG", "ENV", "LABEL", "WORKDIR"):
            if keyword == "ENV":
                fail("ENV in the runtime stage: teach scripts/image/rootfs.py to record it")
        else:
            fail(f"{keyword} in the runtime stage is not understood by this script")
    with open(os.path.join(out, ".image-config.json"), "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2)
    print(f"rootfs: {out}: {suite} minbase + {' '.join(wanted)}; debootstrap {bootstrapped:.0f} s, "
          f"total {time.monotonic() - started:.0f} s", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--containerfile", default=CONTAINERFILE)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("packages", help="print the runtime stage's packages, one a line")
    b = sub.add_parser("build", help="bootstrap the runtime stage into a directory")
    b.add_argument("--binary", required=True, help="the ctaudit binary for COPY --from=build")
    b.add_argument("--out", required=True)
    b.add_argument("--mirror", default="http://deb.debian.org/debian")
    b.add_argument("--quiet", action="store_true")
    arguments = parser.parse_args()
    if arguments.command == "packages":
        print("\n".join(packages(runtime_stage(arguments.containerfile)[1])))
    else:
        if os.geteuid() != 0:
            fail("build needs root (debootstrap, chroot)")
        build(arguments)


if __name__ == "__main__":
    main()
