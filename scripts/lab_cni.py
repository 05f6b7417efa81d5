#!/usr/bin/env python3
"""A minimal CNI runtime for the ctaudit lab (driven by scripts/lab.sh --cni).

  lab_cni.py add --conflist FILE --netns PATH --container-id ID [--ifname eth0]
                 [--cni-path DIR] [--port-mapping HOSTPORT:CONTAINERPORT/PROTO ...]
      Runs every plugin of the network configuration list in order with
      CNI_COMMAND=ADD, the plugin's config (plus cniVersion, name, prevResult
      and runtimeConfig) on stdin, as a container runtime does (CNI spec
      1.0: "Executing a network configuration list"). Prints the final result.

  lab_cni.py del --conflist FILE --netns PATH --container-id ID --result FILE [...]
      Runs the plugins in reverse order with CNI_COMMAND=DEL, each given the
      final ADD result as prevResult.

Run it in the namespace that plays the host (`ip netns exec NODE lab_cni.py ...`):
the plugins set up the host side (bridge, veth, iptables rules) where they run
and the container side in --netns. Python 3 standard library only.
"""

import argparse
import json
import os
import subprocess
import sys


def plugin_config(net, plugin, prev_result, port_mappings):
    """One plugin's stdin: its own object plus what the runtime adds."""
    config = dict(plugin)
    config["cniVersion"] = net["cniVersion"]
    config["name"] = net["name"]
    if prev_result is not None:
        config["prevResult"] = prev_result
    if port_mappings and plugin.get("capabilities", {}).get("portMappings"):
        config["runtimeConfig"] = {"portMappings": port_mappings}
    return config


def run_plugin(command, plugin_type, config, args):
    binary = os.path.join(args.cni_path, plugin_type)
    env = dict(os.environ)
    env.update({
        "CNI_COMMAND": command,
        "CNI_CONTAINERID": args.container_id,
        "CNI_NETNS": args.netns,
        "CNI_IFNAME": args.ifname,
        "CNI_PATH": args.cni_path,
    })
    done = subprocess.run([binary], input=json.dumps(config).encode(), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        # Plugins report errors as a JSON object on stdout (code, msg, details).
        detail = done.stdout.decode(errors="replace").strip() or done.stderr.decode(errors="replace").strip()
        sys.exit(f"lab_cni: {plugin_type} {command} failed (exit {done.returncode}): {detail}")
    text = done.stdout.decode().strip()
    return json.loads(text) if text else None


def parse_mapping(text):
    ports, _, proto = text.partition("/")
    host, _, container = ports.partition(":")
    return {"hostPort": int(host), "containerPort": int(container), "protocol": proto or "tcp"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["add", "del"])
    parser.add_argument("--conflist", required=True)
    parser.add_argument("--netns", required=True)
    parser.add_argument("--container-id", required=True)
    parser.add_argument("--ifname", default="eth0")
    parser.add_argument("--cni-path", default="/usr/lib/cni")
    parser.add_argument("--port-mapping", action="append", default=[], type=parse_mapping)
    parser.add_argument("--result", help="del: the final ADD result (JSON file)")
    args = parser.parse_args()

    with open(args.conflist, encoding="utf-8") as handle:
        net = json.load(handle)
    plugins = net["plugins"]
    if args.command == "add":
        result = None
        for plugin in plugins:
            result = run_plugin("ADD", plugin["type"], plugin_config(net, plugin, result, args.port_mapping), args)
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
    else:
        final = None
        if args.result and os.path.exists(args.result):
            with open(args.result, encoding="utf-8") as handle:
                final = json.load(handle)
        for plugin in reversed(plugins):
            run_plugin("DEL", plugin["type"], plugin_config(net, plugin, final, args.port_mapping), args)


if __name__ == "__main__":
    main()
