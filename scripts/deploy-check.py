#!/usr/bin/env python3
"""Checks the deployment recipes under deploy/ against the binary that runs them.

    scripts/deploy-check.py TRACKINGPROXY_BINARY WORK_DIR

Every manifest parses as YAML; the configuration the Kubernetes manifests mount (and the systemd
units read) passes `trackingproxy config check` with the environment the manifests give it; the
ports, probe paths, mount paths and time limits in the manifests and units agree with that
configuration's effective values; every command line in them is one the binary accepts; the rules
ConfigMap equals rules/reports-app.yaml and passes `trackingproxy rules check`; the client-IP
settings for Azure Application Gateway resolve a gateway's request to the client. Prints one
`ok`/`FAIL` line per check and exits 1 if any failed.
"""
import json
import os
import re
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN, WORK = sys.argv[1], sys.argv[2]
failures = 0


def check(name, condition, detail=""):
    global failures
    print(("ok   " if condition else "FAIL ") + name + ("" if condition or not detail else f" ({detail})"))
    if not condition:
        failures += 1
    return condition


def run(args, env=None):
    merged = {k: v for k, v in os.environ.items() if not k.startswith("TRACKINGPROXY_")}
    merged.update(env or {})
    return subprocess.run([BIN] + args, capture_output=True, text=True, env=merged)


def seconds(duration):
    """`250ms`, `5s`, `1m`, `1h`, `1d` (as `config check` prints them) in seconds."""
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d)", str(duration))
    if not match:
        raise ValueError(f"not a duration: {duration}")
    return int(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def port(host_port):
    return int(str(host_port).rsplit(":", 1)[1])


def effective(config_path, env=None, flags=()):
    """The effective configuration `config check` prints, as a dictionary (None when refused)."""
    result = run(["config", "check", config_path, *flags], env)
    if result.returncode != 0:
        return None, result.stderr.strip() or result.stdout.strip()
    return yaml.safe_load(result.stdout), ""


def accepted_options(command_path):
    """The long option names `trackingproxy COMMAND… --experimental-dump-help` lists."""
    result = run([*command_path, "--experimental-dump-help"])
    if result.returncode != 0:
        return None
    command = json.loads(result.stdout)["command"]
    if command["commandName"] != command_path[-1]:
        return None
    return {n["name"] for a in command.get("arguments", []) for n in a.get("names", []) if n["kind"] == "long"}


def check_command_line(where, args):
    """`args` (without the binary) names a subcommand whose every `--option` exists and has a value."""
    path = [a for a in args[:2] if not a.startswith("-")]
    while path and accepted_options(path) is None:
        path.pop()
    options = accepted_options(path) if path else None
    if not check(f"{where}: `{' '.join(path)}` is a trackingproxy command", options is not None and path == [a for a in args[: len(path)]], " ".join(args)):
        return {}
    given, rest = {}, args[len(path):]
    i = 0
    while i < len(rest):
        name = rest[i]
        if not check(f"{where}: {name} is an option of `{' '.join(path)}`", name.startswith("--") and name[2:].split("=")[0] in options, ", ".join(sorted(options))):
            return {}
        if "=" in name:
            given[name[2:].split("=")[0]] = name.split("=", 1)[1]
            i += 1
        else:
            check(f"{where}: {name} has a value", i + 1 < len(rest))
            given[name[2:]] = rest[i + 1] if i + 1 < len(rest) else ""
            i += 2
    return given


def documents(path):
    with open(path) as file:
        return [d for d in yaml.safe_load_all(file) if d is not None]


# --- every YAML file under deploy/ parses ----------------------------------------------------
manifests = {}
for folder, _, files in os.walk(os.path.join(REPO, "deploy")):
    for name in sorted(files):
        if name.endswith((".yaml", ".yml")):
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, REPO)
            try:
                manifests[relative] = documents(path)
                check(f"{relative} parses as YAML ({len(manifests[relative])} documents)", len(manifests[relative]) > 0)
            except yaml.YAMLError as error:
                check(f"{relative} parses as YAML", False, str(error).replace("\n", " "))

k8s = [d for p, ds in manifests.items() if p.startswith("deploy/kubernetes/") for d in ds]
check("every Kubernetes document has apiVersion, kind and metadata.name",
      all(d.get("apiVersion") and d.get("kind") and d.get("metadata", {}).get("name") for d in k8s))
by_kind = {}
for d in k8s:
    by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
config_maps, secrets = by_kind.get("ConfigMap", {}), by_kind.get("Secret", {})

# --- the rules ConfigMap is the repository's rules file, and it checks -------------------------
os.makedirs(os.path.join(WORK, "k8s", "rules"), exist_ok=True)
for name, text in config_maps.get("trackingproxy-rules", {}).get("data", {}).items():
    with open(os.path.join(REPO, "rules", name)) as file:
        check(f"ConfigMap trackingproxy-rules {name} equals rules/{name}", text == file.read())
    with open(os.path.join(WORK, "k8s", "rules", name), "w") as file:
        file.write(text)
    result = run(["rules", "check", os.path.join(WORK, "k8s", "rules", name)])
    check(f"trackingproxy rules check accepts ConfigMap trackingproxy-rules {name}", result.returncode == 0, result.stdout + result.stderr)


def container_env(container):
    """The container's TRACKINGPROXY_* variables, values from the Secret example or the pod."""
    env = {}
    for variable in container.get("env", []):
        source = variable.get("valueFrom", {})
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            value = secrets.get(ref["name"], {}).get("stringData", {}).get(ref["key"])
            check(f"{container['name']}: {variable['name']} comes from Secret {ref['name']} key {ref['key']}", value is not None)
            env[variable["name"]] = value or ""
        elif "fieldRef" in source:
            env[variable["name"]] = "reports-app-7d9f8c6b5-x2x4q"
    return env


def mounts(spec, container):
    """mountPath → (ConfigMap or None, subPath or None, volume) for each of the container's mounts."""
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    result = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"])
        check(f"{container['name']}: volume {mount['name']} is declared", volume is not None)
        if volume:
            result[mount["mountPath"]] = (volume.get("configMap", {}).get("name"), mount.get("subPath"), volume)
    return result


def probe_port(container, probe):
    value = probe["httpGet"]["port"]
    if isinstance(value, int):
        return value
    return {p["name"]: p["containerPort"] for p in container.get("ports", [])}.get(value)


def mounted_config(spec, container, given):
    """Writes the configuration file the container reads (--config) and returns its path."""
    config_path = given.get("config")
    mounted = mounts(spec, container).get(config_path)
    if not check(f"{container['name']}: --config {config_path} is a mounted ConfigMap key", mounted is not None and mounted[0] in config_maps and mounted[1]):
        return None
    text = config_maps[mounted[0]]["data"].get(mounted[1])
    path = os.path.join(WORK, "k8s", f"{container['name']}.yaml")
    with open(path, "w") as file:
        file.write(text or "")
    return path


deployments = by_kind.get("Deployment", {})
services = by_kind.get("Service", {})
for deployment in deployments.values():
    template = deployment["spec"]["template"]
    spec, labels = template["spec"], template["metadata"]["labels"]
    name = deployment["metadata"]["name"]
    check(f"Deployment {name}: selector matches the pod's labels",
          all(labels.get(k) == v for k, v in deployment["spec"]["selector"]["matchLabels"].items()))
    for service in services.values():
        if all(labels.get(k) == v for k, v in service["spec"]["selector"].items()):
            port_names = {p.get("name") for c in spec["containers"] for p in c.get("ports", [])}
            for service_port in service["spec"]["ports"]:
                check(f"Service {service['metadata']['name']}: targetPort {service_port['targetPort']} is a port of Deployment {name}",
                      service_port["targetPort"] in port_names)
    for container in spec["containers"]:
        if "trackingproxy" not in container["image"]:
            continue
        where = f"Deployment {name} container {container['name']}"
        given = check_command_line(where, container.get("args", []))
        env = container_env(container)
        config_path = mounted_config(spec, container, given)
        if not config_path:
            continue
        # Only --config may be given: every other setting lives in the ConfigMap, where this check reads it.
        check(f"{where}: every setting but --config is in the ConfigMap", set(given) == {"config"}, ", ".join(given))
        values, error = effective(config_path, env)
        if not check(f"{where}: trackingproxy config check accepts the mounted configuration with the container's environment", values is not None, error):
            continue
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        readiness, liveness = container.get("readinessProbe"), container.get("livenessProbe")
        check(f"{where}: has readiness and liveness probes", readiness is not None and liveness is not None)
        if not (readiness and liveness):
            continue
        if container.get("args", [])[:1] == ["serve"]:
            check(f"{where}: port http is listen ({values['listen']})", ports.get("http") == port(values["listen"]))
            check(f"{where}: port admin is admin.listen ({values['admin']['listen']})", ports.get("admin") == port(values["admin"]["listen"]))
            for key in ("listen",):
                check(f"{where}: {key} is reachable from outside the pod", not str(values[key]).startswith("127."))
            check(f"{where}: admin.listen is reachable by the kubelet", not str(values["admin"]["listen"]).startswith("127."))
            check(f"{where}: readinessProbe is GET /readyz on the admin port",
                  readiness["httpGet"]["path"] == "/readyz" and probe_port(container, readiness) == port(values["admin"]["listen"]))
            check(f"{where}: livenessProbe is GET /healthz on the admin port",
                  liveness["httpGet"]["path"] == "/healthz" and probe_port(container, liveness) == port(values["admin"]["listen"]))
            upstream = values["upstream"]["url"]
            app_args = " ".join(a for c in spec["containers"] if c is not container for a in c.get("args", []))
            check(f"{where}: upstream.url ({upstream}) is the app container's bind address", upstream.split("//", 1)[1] in app_args, app_args)
            mounted = mounts(spec, container)
            rules_dir, rules_name = os.path.split(values["tracking"]["rules_file"])
            rules = mounted.get(rules_dir)
            check(f"{where}: tracking.rules_file {values['tracking']['rules_file']} is in a mounted ConfigMap",
                  rules is not None and rules[0] in config_maps and rules_name in config_maps[rules[0]]["data"] and rules[1] is None)
            spool = mounted.get(values["ingest"]["spool"]["dir"])
            check(f"{where}: ingest.spool.dir {values['ingest']['spool']['dir']} is a writable volume",
                  spool is not None and spool[0] is None)
            pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
            drain = pre_stop + seconds(values["shutdown"]["grace_period"]) + seconds(values["ingest"]["shutdown_flush_timeout"])
            grace = spec.get("terminationGracePeriodSeconds", 30)
            check(f"{where}: terminationGracePeriodSeconds ({grace}) is above preStop + shutdown.grace_period + ingest.shutdown_flush_timeout ({drain:g})", grace > drain)
            check(f"{where}: the database URL comes from the Secret", "TRACKINGPROXY_DATABASE_URL" in env and values["ingest"]["database"]["url"] == "<redacted>")
        else:
            check(f"{where}: port http is analytics.listen ({values['analytics']['listen']})", ports.get("http") == port(values["analytics"]["listen"]))
            check(f"{where}: analytics.listen is reachable from outside the pod", not str(values["analytics"]["listen"]).startswith("127."))
            for probe in (readiness, liveness):
                check(f"{where}: probe GET {probe['httpGet']['path']} is the analytics service's /healthz on its port",
                      probe["httpGet"]["path"] == "/healthz" and probe_port(container, probe) == port(values["analytics"]["listen"]))
            check(f"{where}: tokens come from the Secret", len(values["analytics"]["tokens"]) > 0 and "TRACKINGPROXY_ANALYTICS__TOKENS" in env)
            check(f"{where}: one replica (it runs the retention job)", deployment["spec"].get("replicas", 1) == 1)


# --- systemd units against the configuration they read --------------------------------------
def unit(path):
    """Key → list of values of a unit file (keys repeat)."""
    values = {}
    with open(path) as file:
        for line in file:
            line = line.strip()
            if line and not line.startswith(("#", ";", "[")) and "=" in line:
                key, value = line.split("=", 1)
                values.setdefault(key, []).append(value)
    return values


values, error = effective(os.path.join(REPO, "deploy/config/trackingproxy.yaml"), {"TRACKINGPROXY_DATABASE_URL": "postgresql://x@db/activity"})
check("trackingproxy config check accepts deploy/config/trackingproxy.yaml", values is not None, error)
for name, command in (("trackingproxy.service", ["serve"]), ("trackingproxy-analytics.service", ["analytics", "serve"])):
    where = f"deploy/systemd/{name}"
    u = unit(os.path.join(REPO, "deploy/systemd", name))
    exec_start = u["ExecStart"][0].split()
    check(f"{where}: ExecStart is /opt/trackingproxy/bin/trackingproxy {' '.join(command)}", exec_start[0] == "/opt/trackingproxy/bin/trackingproxy" and exec_start[1:1 + len(command)] == command)
    given = check_command_line(where, exec_start[1:])
    check(f"{where}: --config is /etc/trackingproxy/trackingproxy.yaml (deploy/config/trackingproxy.yaml)", given.get("config") == "/etc/trackingproxy/trackingproxy.yaml")
    for key, expected in (("Restart", "on-failure"), ("ProtectSystem", "strict"), ("NoNewPrivileges", "yes"), ("User", "trackingproxy")):
        check(f"{where}: {key}={expected}", u.get(key) == [expected], u.get(key))
    if values is None:
        continue
    stop = seconds(u["TimeoutStopSec"][0])
    if command == ["serve"]:
        check(f"{where}: ExecReload sends SIGHUP (rules reload)", u.get("ExecReload") == ["/bin/kill -HUP $MAINPID"])
        drain = seconds(values["shutdown"]["grace_period"]) + seconds(values["ingest"]["shutdown_flush_timeout"])
        check(f"{where}: TimeoutStopSec ({stop:g}s) is above shutdown.grace_period + ingest.shutdown_flush_timeout ({drain:g}s)", stop > drain)
        descriptors = 2 * values["client"]["max_connections"] + values["admin"]["max_connections"]
        check(f"{where}: LimitNOFILE ({u['LimitNOFILE'][0]}) is above 2 × client.max_connections + admin.max_connections ({descriptors})", int(u["LimitNOFILE"][0]) > descriptors)
        spool = values["ingest"]["spool"]["dir"]
        writable = [p for v in u.get("ReadWritePaths", []) for p in v.split()]
        check(f"{where}: ReadWritePaths covers ingest.spool.dir ({spool})", any(spool == p or spool.startswith(p.rstrip("/") + "/") for p in writable))
    else:
        check(f"{where}: no ExecReload (SIGHUP would end the analytics service)", "ExecReload" not in u)
        check(f"{where}: LimitNOFILE is above analytics.max_connections", int(u["LimitNOFILE"][0]) > values["analytics"]["max_connections"])

# --- client IP behind nginx (checked live by deploy-check.sh) and Azure Application Gateway ---
azure = os.path.join(REPO, "deploy/azure/trackingproxy.yaml")
values, error = effective(azure)
check("trackingproxy config check accepts deploy/azure/trackingproxy.yaml", values is not None, error)


def client_ip(config, peer, forwarded_for):
    result = run(["rules", "explain", "--config", config, "--rules", os.path.join(REPO, "rules/reports-app.yaml"), "--peer", peer,
                  "--header", f"X-Forwarded-For: {forwarded_for}", "--format", "json", "GET", "/"])
    return json.loads(result.stdout)["client_ip"] if result.returncode == 0 else result.stderr


got = client_ip(azure, "10.10.1.5", "198.51.100.9, 203.0.113.7:50312")
check(f"behind Application Gateway (peer in its subnet, client forged 198.51.100.9): client is 203.0.113.7 (got {got})", got == "203.0.113.7")
got = client_ip(azure, "192.0.2.44", "203.0.113.7:50312")
check(f"a peer outside the gateway's subnet is the client itself, its header ignored (got {got})", got == "192.0.2.44")

print(f"deploy-check.py: {failures} failed")
sys.exit(1 if failures else 0)
