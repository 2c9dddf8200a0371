"""What runs leave on disk: grids, metrics CSV."""
import numpy as np
from PIL import Image

from mindgan import outputs


def test_metrics_csv_widens_when_a_hook_reports_later(tmp_path):
    p = tmp_path / "metrics.csv"
    outputs.append_metrics(p, 1, {"d_acc": 0.5})
    outputs.append_metrics(p, 2, {"d_acc": 0.6, "fid": 10})
    outputs.append_metrics(p, 3, {"d_acc": 0.7})
    assert p.read_text().splitlines() == ["epoch,d_acc,fid", "1,0.5,", "2,0.6,10", "3,0.7,"]


def test_grid_places_each_image_and_maps_the_range(tmp_path):
    imgs = np.full((6, 1, 4, 4), -1.0, np.float32)
    imgs[4] = 1.0  # row 1, column 1 of a 2x3 grid is white
    pic = outputs.grid(imgs, 2, 3, "tanh", pad=1, min_side=1, min_tile=1)
    a = np.asarray(pic)
    assert pic.size == (3 * 5 + 1, 2 * 5 + 1)
    assert (a[6:10, 6:10] == 255).all() and (a[1:5, 1:5] == 0).all()
    rgb = outputs.grid(np.zeros((4, 3, 8, 8), np.float32), 2, 2, "sigmoid")
    assert rgb.mode == "RGB" and min(rgb.size) >= 320


def test_gif_has_one_frame_per_grid(tmp_path):
    frames = []
    for i in range(3):
        f = tmp_path / f"e{i}.png"
        Image.new("L", (10, 10), i * 100).save(f)
        frames.append(f)
    outputs.gif(frames, tmp_path / "a.gif")
    assert Image.open(tmp_path / "a.gif").n_frames == 3


def test_gif_of_a_long_run_is_bounded(tmp_path):
    frames = []
    for i in range(100):
        f = tmp_path / f"e{i:03d}.png"
        Image.new("RGB", (800, 800), (i, i, i)).save(f)
        frames.append(f)
    outputs.gif(frames, tmp_path / "a.gif")
    gif = Image.open(tmp_path / "a.gif")
    assert gif.n_frames == 12 and max(gif.size) == 256
    gif.seek(11)
    assert gif.convert("L").getpixel((0, 0)) == 99  # the last epoch is always shown


def test_gif_of_a_strip_is_at_least_256_pixels_tall(tmp_path):
    """The smallest GAN's grid is one row of 16 samples: its GIF is widened, not shrunk to a sliver."""
    f = tmp_path / "strip.png"
    outputs.grid(np.zeros((16, 1, 28, 28), np.float32), 1, 16, "tanh", label="epoch 1").save(f)
    outputs.gif([f, f], tmp_path / "a.gif")
    assert Image.open(tmp_path / "a.gif").height >= 256


def test_loss_curve_leaves_pyplot_backend_alone(tmp_path):
    """A notebook trains in its kernel and then shows figures with pyplot: drawing the run's loss curve
    must not switch pyplot to a backend that shows nothing (matplotlib.use('Agg') did)."""
    import matplotlib

    before = matplotlib.get_backend()
    matplotlib.use("svg")  # any backend other than Agg stands in for the notebook's inline one
    try:
        outputs.loss_curve([{"step": "1", "loss_d": "1.0", "loss_g": "0.5"},
                            {"step": "2", "loss_d": "0.9", "loss_g": "0.6"}], tmp_path / "c.png")
        assert matplotlib.get_backend() == "svg" and (tmp_path / "c.png").stat().st_size > 0
    finally:
        matplotlib.use(before)
