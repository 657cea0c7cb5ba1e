"""Build synthdata's container images with the Docker SDK and print their tags and sizes.

Usage: uv run --frozen python scripts/build_images.py [--python-base REF] [--airflow-base REF@sha256:DIGEST]

- Stages the build context in .build/images/: the wheel built from this checkout and the locked requirements
  (uv.lock exported with hashes: core only for the sampler, the airflow extra for the Airflow image).
- Uses the engine at DOCKER_HOST if one answers; otherwise starts dockerd itself (root, no bridge, no iptables;
  state in .tools/docker so the layer cache survives) and stops it afterwards.
- The sampler's base is the digest-pinned python image when the engine has it. No registry is reachable on an
  offline machine, so there the base is a stand-in made locally: a debootstrapped Debian bookworm rootfs with its
  Python 3.11, imported as ``synthdata-base/python:3.11-bookworm`` (cached in .tools/base/rootfs.tar).
- The Airflow image is built only when ``--airflow-base`` names the official image by digest.
- Tags: ``NAME:VERSION`` and ``NAME:VERSION-gREVISION`` (``-dirty`` when tracked files differ from HEAD).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import DockerException, ImageNotFound

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(os.environ.get("SYNTHDATA_TOOLS_DIR", ROOT / ".tools"))
STAGE = ROOT / ".build" / "images"
SAMPLER = "synthdata-sampler"
AIRFLOW = "synthdata-airflow"
STANDIN_BASE = "synthdata-base/python:3.11-bookworm"
STANDIN_ENV = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    # The host's bundle (copied into the rootfs) trusts the outbound HTTPS proxy that pip goes through here.
    "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt",
    'CMD ["python3"]',
)
DIGEST_REF = re.compile(r"^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$")


class BuildError(RuntimeError):
    """An image could not be built, or the engine could not be reached or started."""


class EngineUnavailable(BuildError):
    """No Docker engine answers and none can be started on this machine."""


@dataclass(frozen=True)
class Built:
    """One built image: its tags, size in bytes, build time and the base it was built on."""

    tags: tuple[str, ...]
    size: int
    seconds: float
    base: str


def version() -> str:
    """The package version from pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def revision() -> str:
    """Short git revision of HEAD, with ``-dirty`` when tracked files differ from it."""
    rev = _git("rev-parse", "--short=12", "HEAD")
    dirty = subprocess.run(["git", "-C", str(ROOT), "diff", "--quiet", "HEAD"], check=False).returncode != 0
    return rev + ("-dirty" if dirty else "")


def image_tags(name: str) -> tuple[str, str]:
    """``NAME:VERSION`` and ``NAME:VERSION-gREVISION``."""
    return f"{name}:{version()}", f"{name}:{version()}-g{revision()}"


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


def stage_context() -> None:
    """Write the wheel and the locked requirement files the Dockerfiles copy into .build/images/."""
    shutil.rmtree(STAGE, ignore_errors=True)
    (STAGE / "dist").mkdir(parents=True)
    uv = ["uv", "--directory", str(ROOT)]
    subprocess.run([*uv, "build", "--quiet", "--wheel", "--out-dir", str(STAGE / "dist")], check=True)
    export = [*uv, "export", "--quiet", "--frozen", "--no-dev", "--no-emit-project", "--no-header"]
    subprocess.run([*export, "--output-file", str(STAGE / "sampler-requirements.txt")], check=True)
    airflow = STAGE / "airflow-requirements.txt"
    subprocess.run([*export, "--extra", "airflow", "--output-file", str(airflow)], check=True)


def _existing_client() -> docker.DockerClient | None:
    try:
        client = docker.from_env()
    except DockerException:
        return None
    return client if _answering(client) else None


def _answering(client: docker.DockerClient) -> bool:
    try:
        return bool(client.ping())
    except DockerException:
        return False


@contextlib.contextmanager
def engine() -> Iterator[docker.DockerClient]:
    """A client of the engine at DOCKER_HOST if it answers, else of a dockerd started here and stopped on exit.

    Raises:
        EngineUnavailable: no engine answers and dockerd is not installed or cannot run here (the message says why).
    """
    existing = _existing_client()
    if existing is not None:
        try:
            yield existing
        finally:
            existing.close()
        return
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise EngineUnavailable("no Docker engine answers and dockerd is missing: run scripts/setup-deploy-tools.sh")
    if os.geteuid() != 0:
        raise EngineUnavailable("no Docker engine answers and starting dockerd needs root")
    run = Path(tempfile.mkdtemp(prefix="synthdata-dockerd-"))  # short path: containerd's sockets live under it
    leftovers = [Path(p) for p in ("/run/docker", "/run/containerd") if not Path(p).exists()]
    command = [dockerd, "--data-root", str(TOOLS / "docker"), "--exec-root", str(run / "exec")]
    command += ["--pidfile", str(run / "dockerd.pid"), "-H", f"unix://{run}/docker.sock"]
    command += ["--bridge=none", "--iptables=false", "--ip-masq=false"]
    with (run / "dockerd.log").open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    client = None
    try:
        client = _started_client(proc, run)
        yield client
    finally:
        if client is not None:
            _prune(client)
            client.close()
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        subprocess.run(["umount", str(run / "exec" / "netns" / "default")], capture_output=True, check=False)
        shutil.rmtree(run, ignore_errors=True)
        for left in leftovers:  # dockerd leaves empty state folders behind; remove those it created
            if not any(p.is_file() or p.is_socket() for p in left.rglob("*")):
                shutil.rmtree(left, ignore_errors=True)


def _prune(client: docker.DockerClient) -> None:
    """Keep the private engine's store small: drop superseded synthdata tags and dangling images."""
    with contextlib.suppress(DockerException):
        for name in (SAMPLER, AIRFLOW):
            current = set(image_tags(name))
            for image in client.images.list(name=name):
                for tag in set(image.tags) - current:
                    client.images.remove(tag)
        client.images.prune(filters={"dangling": True})


def _started_client(proc: subprocess.Popen[bytes], run: Path) -> docker.DockerClient:
    """A client of the dockerd ``proc`` once it answers on ``run``/docker.sock (60 s at most)."""
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(DockerException):
            client = docker.DockerClient(base_url=f"unix://{run}/docker.sock", timeout=600)
            if _answering(client):
                return client
        time.sleep(0.5)
    tail = (run / "dockerd.log").read_text(errors="replace")[-1500:]
    raise EngineUnavailable(f"dockerd did not come up:\n{tail}")


def _debian_mirror() -> str:
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.exists():
        for line in sources.read_text().splitlines():
            if line.startswith("URIs:"):
                return line.split()[1]
    return "http://deb.debian.org/debian"


def standin_rootfs() -> Path:
    """Tarball of a minimal Debian bookworm rootfs with Python 3.11 (debootstrap once, then cached)."""
    tarball = TOOLS / "base" / "rootfs.tar"
    if tarball.exists():
        return tarball
    if shutil.which("debootstrap") is None:
        raise EngineUnavailable("debootstrap is not installed: run scripts/setup-deploy-tools.sh")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tarball.parent) as tmp:
        rootfs = Path(tmp) / "rootfs"
        include = "--include=python3,python3-venv,ca-certificates"
        command = ["debootstrap", "--variant=minbase", include, "bookworm", str(rootfs), _debian_mirror()]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BuildError(f"debootstrap failed:\n{(result.stdout + result.stderr)[-1500:]}")
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            shutil.rmtree(rootfs / junk, ignore_errors=True)
        (rootfs / "usr/lib/python3.11/EXTERNALLY-MANAGED").unlink(missing_ok=True)
        shutil.copyfile("/etc/ssl/certs/ca-certificates.crt", rootfs / "etc/ssl/certs/ca-certificates.crt")
        partial = tarball.with_suffix(".partial")
        try:
            subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True)
            partial.replace(tarball)
        finally:
            partial.unlink(missing_ok=True)
    return tarball


def python_base(client: docker.DockerClient, requested: str | None) -> str:
    """The sampler's base: ``requested``, else the Dockerfile's pinned image if present, else the local stand-in."""
    if requested:
        return requested
    pinned = _dockerfile_default("images/sampler/Dockerfile", "PYTHON_BASE")
    for ref in (pinned, STANDIN_BASE):
        with contextlib.suppress(ImageNotFound):
            client.images.get(ref)
            return ref
    repository, tag = STANDIN_BASE.split(":")
    client.api.import_image(str(standin_rootfs()), repository=repository, tag=tag, changes=list(STANDIN_ENV))
    return STANDIN_BASE


def _dockerfile_default(dockerfile: str, arg: str) -> str:
    match = re.search(rf"^ARG {arg}=(\S+)$", (ROOT / dockerfile).read_text(), re.MULTILINE)
    if match is None:
        raise BuildError(f"{dockerfile} has no default for ARG {arg}")
    return match.group(1)


def build(client: docker.DockerClient, name: str, dockerfile: str, base_arg: str, base: str) -> Built:
    """Build ``dockerfile`` on ``base`` (passed as build-arg ``base_arg``), tag it, and return what was built."""
    tags = image_tags(name)
    buildargs = {base_arg: base, "VERSION": version(), "REVISION": revision()}
    started = time.monotonic()
    log: list[str] = []
    stream = client.api.build(
        path=str(ROOT), dockerfile=dockerfile, tag=tags[1], buildargs=buildargs, network_mode="host",
        rm=True, forcerm=True, pull=False, decode=True,
    )  # fmt: skip
    for chunk in stream:
        if "error" in chunk:
            raise BuildError(f"{name}: {chunk['error'].strip()}\n{''.join(log)[-3000:]}")
        log.append(chunk.get("stream", ""))
    image = client.images.get(tags[1])
    image.tag(tags[0])
    return Built(tags, int(image.attrs["Size"]), time.monotonic() - started, base)


def build_sampler(client: docker.DockerClient, python: str | None = None) -> Built:
    """Stage the context and build the sampler image."""
    stage_context()
    return build(client, SAMPLER, "images/sampler/Dockerfile", "PYTHON_BASE", python_base(client, python))


class BadReference(BuildError):
    """An image reference that is not pinned by digest."""


def require_digest(ref: str) -> None:
    """Refuse an image reference without ``@sha256:<64 hex>``.

    Raises:
        BadReference: ``ref`` is not pinned by digest.
    """
    if not DIGEST_REF.match(ref):
        raise BadReference(f"--airflow-base must name the image by digest (REF@sha256:<64 hex>), got {ref!r}")


def build_airflow(client: docker.DockerClient, airflow_base: str) -> Built:
    """Build the Airflow image on the official image named by digest (the context must be staged).

    Raises:
        BuildError: ``airflow_base`` is not pinned by digest, or the engine does not have it.
    """
    require_digest(airflow_base)
    if not (ROOT / "dags").is_dir():
        raise BuildError("dags/ is missing: the Airflow image ships the DAGs")
    return build(client, AIRFLOW, "images/airflow/Dockerfile", "AIRFLOW_BASE", airflow_base)


def main(argv: list[str] | None = None) -> int:
    """Build the images and print one line per image: tags, size, build time, base."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python-base", help="sampler base image (default: pinned digest if present, else stand-in)")
    parser.add_argument("--airflow-base", help="official Airflow image by digest; builds synthdata-airflow too")
    args = parser.parse_args(argv)
    if args.airflow_base:
        try:
            require_digest(args.airflow_base)
        except BadReference as exc:
            parser.error(str(exc))  # exit 2: bad input, nothing started
    try:
        with engine() as client:
            built = [build_sampler(client, args.python_base)]
            if args.airflow_base:
                built.append(build_airflow(client, args.airflow_base))
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for image in built:
        print(f"{' '.join(image.tags)}  {image.size / 1e6:.1f} MB  built in {image.seconds:.1f}s  base {image.base}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
