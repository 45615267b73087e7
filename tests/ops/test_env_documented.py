"""Every environment variable the code reads is in the README's "Deploying" section and in
deploy/cocreate.env.example: a platform team configures from those two, so a variable missing there is one
nobody sets. The names are found in the source (os.environ / os.getenv calls, and the name tuples that
community/config.py loops over), not listed by hand."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "community").rglob("*.py")), ROOT / "deploy" / "gunicorn.conf.py", ROOT / "wsgi.py"]
# Read by libraries on their own (boto3): not in our source, documented all the same.
READ_BY_LIBRARIES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def env_names(path: Path) -> set[str]:
    """Names read from the environment in one module: ``os.environ.get/setdefault(X)``, ``os.environ[X]``,
    ``os.getenv(X)`` with X a string or a module-level string constant, and ``for key in ("A", "B"): ...
    os.environ ...`` loops."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                 and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                 for t in n.targets if isinstance(t, ast.Name)}

    def name_of(arg: ast.AST) -> str | None:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
        if isinstance(arg, ast.Name):
            return constants.get(arg.id)
        return None

    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr in ("get", "setdefault", "pop")
                    and _is_environ(func.value)) or (isinstance(func, ast.Attribute) and func.attr == "getenv"):
                found.add(name_of(node.args[0]))
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            found.add(name_of(node.slice))
        elif isinstance(node, ast.For) and isinstance(node.iter, ast.Tuple) and "os.environ" in ast.unparse(node):
            found.update(name_of(e) for e in node.iter.elts)
    return {n for n in found if n and re.fullmatch(r"[A-Z][A-Z0-9_]+", n)}


def all_env_names() -> set[str]:
    names = set(READ_BY_LIBRARIES)
    for path in SOURCES:
        names |= env_names(path)
    return names


def _deploying_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("\n## Deploying", 1)[1].split("\n## ", 1)[0]


def test_the_scan_finds_what_config_and_gunicorn_read():
    names = all_env_names()
    # one of each way of reading: a loop tuple, .get, a constant's name, gunicorn's settings
    assert {"PAGE_CACHE_SECONDS", "REDIS_URL", "COCREATE_INSTANCE_PATH", "STORAGE_S3_BUCKET",
            "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "COCREATE_DATASETS"} <= names


def test_every_variable_is_in_the_readme_deploying_section():
    section = _deploying_section()
    missing = sorted(n for n in all_env_names() if f"`{n}`" not in section)
    assert missing == [], "add them to README.md, Deploying, Environment variables"


def test_every_variable_is_in_the_env_example():
    example = (ROOT / "deploy" / "cocreate.env.example").read_text(encoding="utf-8")
    present = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    missing = sorted(all_env_names() - present)
    assert missing == [], "add them to deploy/cocreate.env.example (commented out when the default is right)"
