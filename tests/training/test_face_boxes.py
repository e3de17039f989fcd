"""Skin, measured (training.face_boxes): faces found on a real portrait, scores inside the boxes."""

import numpy as np
import pytest
from PIL import Image

from tests.conftest import write_tiny_artifact
from training.face_boxes import FaceBox, box_scores, face_detector, find_faces, main


def _astronaut() -> np.ndarray:
    from skimage import data  # the portrait ships inside scikit-image: no download

    return data.astronaut()


def test_the_cascade_finds_the_astronauts_face_and_nothing_in_noise():
    detector = face_detector()
    boxes = find_faces(detector, _astronaut())
    assert len(boxes) == 1
    face = boxes[0]
    # Eileen Collins' face is about 100 px wide, left of centre near the top of the 512 px photo.
    assert 60 < face.width < 160 and 120 < face.left + face.width / 2 < 300 and face.top < 200
    noise = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    assert find_faces(detector, noise) == []


def test_box_scores_see_grey_skin_as_missing_chroma():
    truth = np.zeros((40, 40, 3), dtype=np.uint8)
    truth[...] = (200, 150, 120)  # a skin tone
    grey = np.repeat(np.asarray(Image.fromarray(truth).convert("L"))[..., None], 3, axis=-1)
    box = FaceBox(left=10, top=10, width=20, height=20)
    right = box_scores(truth, truth, box)
    assert right["ab_error"] == pytest.approx(0.0, abs=1e-6)
    assert right["chroma"] == pytest.approx(right["chroma_truth"]) and right["chroma_truth"] > 15
    wrong = box_scores(grey, truth, box)
    assert wrong["chroma"] < 1 and wrong["ab_error"] == pytest.approx(right["chroma_truth"], rel=0.05)


def test_the_command_scores_each_model_on_the_face_split(tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(_astronaut()).save(photos / "astronaut.png")
    Image.fromarray(np.full((64, 64, 3), 128, dtype=np.uint8)).save(photos / "no-face.png")
    artifact = write_tiny_artifact(tmp_path / "tiny.safetensors")
    report = tmp_path / "faces.json"
    assert main(["--data-dir", str(photos), "--artifact", str(artifact), "--json", str(report), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "face boxes in 1 photos" in out and "| 1 |" in out
    import json

    written = json.loads(report.read_text())
    assert list(written["faces"]) == [str(photos / "astronaut.png")]
    scores = written["scores"][str(artifact)]
    assert scores["boxes"] == 1 and scores["chroma_truth"] > 5
