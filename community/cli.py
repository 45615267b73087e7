"""Top-level CLI commands (feature commands live on their blueprints)."""
import click


def register(app) -> None:
    @app.cli.group("demo")
    def demo():
        """Demo data."""

    @demo.command("load")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
    def load(if_empty):
        """Load the canonical story and a believable crowd (idempotent)."""
        from community import demo as demo_data

        click.echo(demo_data.load(if_empty=if_empty))
