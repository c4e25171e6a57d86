"""Start and stop local OpenSearch nodes for tests, the benchmark and the demo (stdlib only).

Why a script and not Make alone: a node needs a free port, a wait until the cluster is green and a PID
file that `stop` can trust; that is easier to get right (and to test) in Python than in shell.

    python3 tests/opensearch_node/ctl.py start       # one node; prints http://127.0.0.1:PORT
    python3 tests/opensearch_node/ctl.py cluster     # three nodes forming one cluster; prints every URL
    python3 tests/opensearch_node/ctl.py stop        # every node started here (by PID file only)
    python3 tests/opensearch_node/ctl.py stop-node opensearch-2   # one node of the cluster
    python3 tests/opensearch_node/ctl.py start-node opensearch-2  # bring it back (same ports)
    python3 tests/opensearch_node/ctl.py url         # the URL(s) of what runs now
    python3 tests/opensearch_node/ctl.py demo-config IN OUT   # IN with [search] url = the running node

State lives in ``var/opensearch/`` (override with ``UNIONCAT_OPENSEARCH_HOME``): one folder per node
with its data, ``node.log``, ``pid`` and the addresses it bound. The Maven project next to this file is
built on first use (and again when its pom or sources change); Maven's cache keeps later builds fast.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
JAR = HERE / "target" / "opensearch-test-node-1.0.jar"
CLASSPATH = HERE / "target" / "classpath.txt"
MAIN = "org.unioncat.testnode.TestNode"
JAVA17 = Path("/usr/lib/jvm/java-17-openjdk-amd64/bin/java")
HEAP = os.environ.get("UNIONCAT_OPENSEARCH_HEAP", "1g")
START_TIMEOUT = 180.0
"""Seconds a node may take to start and the cluster to turn green (a busy 2-core machine is slow)."""
STOP_TIMEOUT = 60.0


def state_dir() -> Path:
    return Path(os.environ.get("UNIONCAT_OPENSEARCH_HOME", ROOT / "var" / "opensearch"))


def java() -> str:
    """Java 17 (OpenSearch 2.19 is built for it); JAVA_HOME wins when it is set."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    if JAVA17.exists():
        return str(JAVA17)
    found = shutil.which("java")
    if not found:
        sys.exit("opensearch: no java found; install openjdk-17-jdk-headless")
    return found


def needs_build() -> bool:
    if not JAR.exists() or not CLASSPATH.exists():
        return True
    built = min(JAR.stat().st_mtime, CLASSPATH.stat().st_mtime)
    sources = [HERE / "pom.xml", *(HERE / "src").rglob("*")]
    if any(p.stat().st_mtime > built for p in sources if p.is_file()):
        return True
    return not all(Path(jar).exists() for jar in CLASSPATH.read_text().strip().split(os.pathsep))


def build() -> None:
    """``mvn package`` once; later runs reuse target/ and the ~/.m2 cache."""
    if not needs_build():
        return
    mvn = shutil.which("mvn")
    if not mvn:
        sys.exit("opensearch: Maven (mvn) is needed to build the test node; install maven")
    env = dict(os.environ)
    if "JAVA_HOME" not in env and JAVA17.exists():
        env["JAVA_HOME"] = str(JAVA17.parent.parent)
    print("opensearch: building the test node with Maven (first time: downloads OpenSearch jars)",
          file=sys.stderr, flush=True)
    command = [mvn, "-q", "-B", "-Dstyle.color=never", "package", "-DskipTests"]
    done = subprocess.run(command, cwd=HERE, env=env, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{done.stdout}{done.stderr}\nopensearch: the Maven build failed (exit {done.returncode})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_pid(node: Path) -> int | None:
    try:
        return int((node / "pid").read_text().strip())
    except (OSError, ValueError):
        return None


def alive(pid: int) -> bool:
    """The process exists and has not exited (a child that exited stays a zombie until reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def ours(pid: int) -> bool:
    """The PID runs our launcher (a PID file can outlive its process and the PID be reused)."""
    try:
        return MAIN.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def nodes() -> list[Path]:
    base = state_dir()
    return sorted(p for p in base.glob("opensearch-*") if p.is_dir()) if base.exists() else []


def plan(names: list[str], cluster: str) -> dict[str, dict[str, object]]:
    """Ports and settings for each node, chosen now and kept in ``cluster.json`` so a node that is
    stopped and started again comes back on the same addresses."""
    ports = {name: {"http": free_port(), "transport": free_port()} for name in names}
    seeds = ",".join(f"127.0.0.1:{ports[n]['transport']}" for n in names)
    out: dict[str, dict[str, object]] = {}
    for name in names:
        settings = {
            "cluster.name": cluster,
            "node.name": name,
            "http.port": str(ports[name]["http"]),
            "transport.port": str(ports[name]["transport"]),
        }
        if len(names) == 1:
            settings["discovery.type"] = "single-node"
        else:
            settings["discovery.seed_hosts"] = seeds
            settings["cluster.initial_cluster_manager_nodes"] = ",".join(names)
        out[name] = settings
    return out


def launch(name: str, settings: dict[str, object]) -> None:
    node = state_dir() / name
    node.mkdir(parents=True, exist_ok=True)
    pid = read_pid(node)
    if pid and alive(pid) and ours(pid):
        return
    for stale in ("http.address", "transport.address", "pid"):
        (node / stale).unlink(missing_ok=True)
    args = [f"path.home={node}", f"path.data={node / 'data'}", f"path.logs={node / 'logs'}"]
    args += [f"{key}={value}" for key, value in settings.items()]
    classpath = os.pathsep.join([str(JAR), CLASSPATH.read_text().strip()])
    command = [java(), f"-Xms{HEAP}", f"-Xmx{HEAP}", "-XX:+UseG1GC", "-Djava.awt.headless=true",
               "-cp", classpath, MAIN, *args]
    with open(node / "node.log", "ab") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    (node / "pid").write_text(f"{proc.pid}\n")


def url_of(node: Path) -> str | None:
    try:
        return "http://" + (node / "http.address").read_text().strip()
    except OSError:
        return None


def wait_green(names: list[str], status: str = "green") -> list[str]:
    """Wait until every named node answers and the cluster reaches `status`; their URLs."""
    deadline = time.monotonic() + START_TIMEOUT
    urls: list[str] = []
    while time.monotonic() < deadline:
        for name in names:
            pid = read_pid(state_dir() / name)
            if pid is None or not alive(pid):
                log = state_dir() / name / "node.log"
                tail = log.read_text(errors="replace").splitlines()[-20:] if log.exists() else []
                sys.exit(f"opensearch: node {name} exited while starting; last log lines:\n" + "\n".join(tail))
        urls = [u for u in (url_of(state_dir() / n) for n in names) if u]
        if len(urls) == len(names) and _health(urls[0], status, len(names)):
            return urls
        time.sleep(1.0)
    sys.exit(f"opensearch: the cluster did not become {status} within {START_TIMEOUT:.0f} s "
             f"(see {state_dir()}/*/node.log)")


def _health(url: str, status: str, count: int) -> bool:
    query = f"wait_for_status={status}&wait_for_nodes={count}&timeout=5s"
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health?{query}", timeout=10) as response:
            health = json.load(response)
    except (OSError, urllib.error.URLError, ValueError):
        return False
    return not health.get("timed_out") and health.get("number_of_nodes") == count


def start(count: int) -> None:
    build()
    running = [n for n in nodes() if (pid := read_pid(n)) and alive(pid) and ours(pid)]
    if running:
        names = [n.name for n in running]
        if len(names) != count:
            sys.exit(f"opensearch: {len(names)} node(s) already running ({', '.join(names)}); "
                     "run `make opensearch-stop` first")
        print_urls(wait_green(names))
        return
    names = [f"opensearch-{i}" for i in range(1, count + 1)]
    if state_dir().exists():
        shutil.rmtree(state_dir())  # a fresh cluster every time: old data would not fit the new cluster UUID
    state_dir().mkdir(parents=True)
    layout = plan(names, "unioncat-test" if count == 1 else "unioncat-test-cluster")
    (state_dir() / "cluster.json").write_text(json.dumps(layout, indent=2))
    for name in names:
        launch(name, layout[name])
    print_urls(wait_green(names))


def print_urls(urls: list[str]) -> None:
    (state_dir() / "url").write_text(",".join(urls) + "\n")
    for url in urls:
        print(url)


def stop_node(node: Path) -> bool:
    """SIGTERM the PID in the node's pid file (only if it is our launcher) and wait; True if one ran."""
    pid = read_pid(node)
    if pid is None or not alive(pid) or not ours(pid):
        (node / "pid").unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.3)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
    (node / "pid").unlink(missing_ok=True)
    return True


def start_node(name: str) -> None:
    """Start one node of an existing cluster again, on the ports it had."""
    layout = json.loads((state_dir() / "cluster.json").read_text())
    if name not in layout:
        sys.exit(f"opensearch: no node {name!r} in {state_dir() / 'cluster.json'}")
    build()
    launch(name, layout[name])
    print_urls(wait_green(list(layout), status="yellow"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="local OpenSearch nodes for unioncat's tests")
    parser.add_argument("command", choices=["build", "start", "cluster", "stop", "stop-node", "start-node", "url",
                                            "demo-config"])
    parser.add_argument("node", nargs="*", help="node name for stop-node/start-node (e.g. opensearch-2); "
                        "IN and OUT for demo-config")
    args = parser.parse_args(argv)
    if args.command == "demo-config":
        if len(args.node) != 2:
            parser.error("demo-config needs IN and OUT")
        demo_config(Path(args.node[0]), Path(args.node[1]))
    elif args.command == "build":
        build()
    elif args.command == "start":
        start(1)
    elif args.command == "cluster":
        start(3)
    elif args.command == "stop":
        stopped = [n.name for n in nodes() if stop_node(n)]
        print(f"opensearch: stopped {', '.join(stopped)}" if stopped else "opensearch: nothing was running")
    elif args.command in ("stop-node", "start-node"):
        if len(args.node) != 1:
            parser.error(f"{args.command} needs one node name")
        if args.command == "stop-node":
            stop_node(state_dir() / args.node[0])
        else:
            start_node(args.node[0])
    else:
        print(",".join(running_urls()))


def running_urls() -> list[str]:
    urls = [u for n in nodes() if (pid := read_pid(n)) and alive(pid) and ours(pid) and (u := url_of(n))]
    if not urls:
        sys.exit("opensearch: no node is running (make opensearch-start)")
    return urls


def demo_config(source: Path, target: Path) -> None:
    """`source` (the compose config) with its [search] url pointed at the running local node(s).

    Relative paths in a config resolve against the file's own folder, so `target` must sit one level
    below the repository like `source` does (var/ next to config/) for ../samples and ../var to hold."""
    url = ",".join(running_urls())
    lines = source.read_text(encoding="utf-8").splitlines()
    out = [f'url = "{url}"' if line.startswith("url = ") and "opensearch:9200" in line else line for line in lines]
    if out == lines:
        sys.exit(f"opensearch: no `url = \"http://opensearch:9200\"` line in {source} to replace")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# Written by `make demo BACKEND=opensearch` from " + source.name + "; edits are lost.\n"
                      + "\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
