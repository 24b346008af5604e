"""`lianjie posters` writes a poster per open store (`serve` runs in test_two_processes)."""

import io

import zxingcpp
from PIL import Image
from typer.testing import CliRunner

from services.cli import app as cli


def test_posters_are_written_for_every_open_store(app, database_url, tmp_path):
    shops = [app.open_store(name, "合肥") for name in ("合肥万达店", "合肥银泰店", "已关门店")]
    app.close_store(shops[2].id)
    out = tmp_path / "posters"
    env = {"LIANJIE_DATABASE_URL": database_url, "LIANJIE_PUBLIC_URL": "https://brand.example"}
    result = CliRunner().invoke(cli, ["posters", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "2 store(s)" in result.output
    written = sorted(path.name for path in out.iterdir())
    assert written == sorted(f"store-{s.id}.{ext}" for s in shops[:2] for ext in ("png", "svg"))
    poster = Image.open(io.BytesIO((out / f"store-{shops[0].id}.png").read_bytes()))
    (found,) = zxingcpp.read_barcodes(poster)
    assert found.text == f"https://brand.example/follow?scene=store:{shops[0].id}"
