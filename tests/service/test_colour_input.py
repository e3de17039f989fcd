"""POST /v1/colorize says whether the upload was already a colour photo (X-Input-Colour)."""

import io

from PIL import Image, ImageOps

from tests.conftest import make_photo


def _post(client, image: Image.Image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return client.post("/v1/colorize", data={"image": (io.BytesIO(buffer.getvalue()), "photo.png")})


def test_a_colour_photo_is_said_to_be_one(client):
    response = _post(client, make_photo(64, 48))
    assert response.status_code == 200
    assert response.headers["X-Input-Colour"] == "colour"


def test_gray_and_sepia_photos_are_gray(client):
    gray = make_photo(64, 48).convert("L")
    assert _post(client, gray).headers["X-Input-Colour"] == "gray"
    sepia = ImageOps.colorize(gray, "#2b1d0e", "#f3e3c3")
    assert _post(client, sepia).headers["X-Input-Colour"] == "gray"
