"""The dataset loader: MNIST and Fashion-MNIST from an npz, an IDX folder or Keras; only the
published arrays are accepted, and bad input gets one clear line naming dataset, file and problem."""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from fixtures.training.data import (
    DATASET_SHA256,
    DATASETS,
    ENV_VAR,
    EXPECTED,
    IDX_FILES,
    DatasetError,
    dataset_sha256,
    get_dataset,
    load_dataset,
    load_mnist,
    load_raw,
    load_raw_dataset,
    stratified_indices,
    subset,
)
from tests.prerequisites import missing

NAMES = sorted(DATASETS)
FIRST_LABELS = {"mnist": [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], "fashion-mnist": [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]}
TEST_COUNTS = {
    "mnist": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    "fashion-mnist": [1000] * 10,
}


def offline_path(name: str) -> Path:
    """The real data of ``name`` for these tests: its environment variable, as for MNIST; for
    Fashion-MNIST, else its npz beside the MNIST npz (the shared datasets folder). Skips if absent."""
    dataset = get_dataset(name)
    value = os.environ.get(dataset.env_var)
    if value:
        return Path(value)
    reason = f"{dataset.env_var} is not set"
    if name == "fashion-mnist" and os.environ.get(ENV_VAR):
        beside = Path(os.environ[ENV_VAR]).parent.parent / "fashion-mnist" / "fashion-mnist.npz"
        if beside.is_file():
            return beside
        reason += f" and {beside} is absent"
    missing(f"{reason}: no offline {dataset.title} to test against")


@pytest.fixture(scope="module")
def arrays_of():
    """``arrays_of(name)``: the real verified arrays of ``name``, read once per module."""
    cache = {}

    def get(name: str) -> dict[str, np.ndarray]:
        if name not in cache:
            cache[name] = load_raw_dataset(name, offline_path(name))[0]
        return cache[name]

    return get


def clear_env(monkeypatch):
    """Unset every dataset's environment variable, so the later sources are reached."""
    for dataset in DATASETS.values():
        monkeypatch.delenv(dataset.env_var, raising=False)


def save(path, arrays):
    np.savez(path, **arrays)
    return path


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """``array`` as an IDX file: big-endian magic and sizes, then the uint8 data."""
    magic = 0x0800 | array.ndim if magic is None else magic
    return magic.to_bytes(4, "big") + np.asarray(array.shape, ">u4").tobytes() + array.tobytes()


def write_idx(folder: Path, arrays: dict[str, np.ndarray], compressed: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in IDX_FILES.items():
        data = idx_bytes(arrays[key])
        if compressed:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data, compresslevel=1))
        else:
            (folder / stem).write_bytes(data)
    return folder


def assert_one_line(call, title: str, where, fragment: str) -> str:
    """``call()`` raises a one-line DatasetError naming ``title``, ``where`` (the file) and ``fragment``."""
    with pytest.raises(DatasetError) as info:
        call()
    message = str(info.value)
    assert message.split()[0].rstrip(":") == title, message
    assert str(where) in message and fragment in message, message
    assert "\n" not in message
    return message


@pytest.mark.parametrize("name", NAMES)
def test_env_var_serves_the_published_arrays(name, monkeypatch):
    path = offline_path(name)
    monkeypatch.setenv(get_dataset(name).env_var, str(path))
    arrays, source = load_raw_dataset(name)
    assert source == str(path)
    for key, (shape, sha) in get_dataset(name).expected.items():
        assert arrays[key].shape == shape and arrays[key].dtype == np.uint8
        assert hashlib.sha256(arrays[key].tobytes()).hexdigest() == sha
    assert arrays["y_train"][:10].tolist() == FIRST_LABELS[name]
    assert np.bincount(arrays["y_test"]).tolist() == TEST_COUNTS[name]


def test_mnist_names_from_before_still_mean_mnist(mnist_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(mnist_path))
    assert load_raw()[1] == str(mnist_path)
    assert EXPECTED is get_dataset("mnist").expected and dataset_sha256("mnist") == DATASET_SHA256
    assert dataset_sha256("fashion-mnist") != DATASET_SHA256


@pytest.mark.parametrize("name", NAMES)
def test_each_dataset_declares_all_four_arrays(name):
    assert sorted(get_dataset(name).expected) == ["x_test", "x_train", "y_test", "y_train"]


def test_preprocessing_is_the_articles(mnist_path):
    data = load_mnist(mnist_path)
    assert data.sha256 == DATASET_SHA256 and data.source == str(mnist_path)
    assert data.x_train.shape == (60000, 784) and data.x_train.dtype == np.float32
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert data.y_train.shape == (60000, 10)
    np.testing.assert_array_equal(data.y_train.argmax(1), data.labels_train)
    assert data.x_test.shape == (10000, 784) and data.y_test.shape == (10000, 10)


@pytest.fixture
def fresh_cache():
    load_dataset.cache_clear()
    yield
    load_dataset.cache_clear()  # a whole preprocessed dataset is too big to keep


@pytest.mark.parametrize("name", NAMES)
def test_load_dataset_preprocesses_once_and_names_the_data(name, monkeypatch, fresh_cache):
    path = offline_path(name)
    monkeypatch.setenv(get_dataset(name).env_var, str(path))
    data = load_dataset(name)
    assert data.sha256 == dataset_sha256(name) and data.source == str(path)
    assert data.x_train.shape == (60000, 784) and data.y_test.shape == (10000, 10)
    assert data.x_train.dtype == np.float32 and 0.0 <= data.x_train.min() < data.x_train.max() <= 1.0
    np.testing.assert_array_equal(data.y_train.argmax(1), data.labels_train)
    assert load_dataset(name) is data


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip", "plain"])
@pytest.mark.parametrize("name", NAMES)
def test_idx_folder_gives_the_same_arrays(name, compressed, arrays_of, tmp_path, monkeypatch):
    folder = write_idx(tmp_path / "idx", arrays_of(name), compressed)
    monkeypatch.setenv(get_dataset(name).env_var, str(folder))
    arrays, source = load_raw_dataset(name)
    assert source == str(folder)
    for key, array in arrays_of(name).items():
        np.testing.assert_array_equal(arrays[key], array)
        assert arrays[key].dtype == np.uint8 and arrays[key].flags.writeable


def test_debian_folder_is_read_when_present_and_the_env_var_comes_first(arrays_of, tmp_path, monkeypatch):
    npz = offline_path("fashion-mnist")
    folder = write_idx(tmp_path / "usr-share-datasets-fashion-mnist", arrays_of("fashion-mnist"), True)
    clear_env(monkeypatch)
    monkeypatch.setitem(DATASETS, "fashion-mnist", replace(DATASETS["fashion-mnist"], idx_dir=folder))
    arrays, source = load_raw_dataset("fashion-mnist")
    assert source == str(folder)
    np.testing.assert_array_equal(arrays["x_test"], arrays_of("fashion-mnist")["x_test"])
    monkeypatch.setenv("BNCLAIMS_FASHION_MNIST", str(npz))
    assert load_raw_dataset("fashion-mnist")[1] == str(npz)


@pytest.mark.parametrize("name", NAMES)
def test_keras_failure_is_one_line_pointing_at_the_env_var(name, tmp_path, monkeypatch):
    import keras

    clear_env(monkeypatch)
    dataset = get_dataset(name)
    monkeypatch.setitem(DATASETS, name, replace(dataset, idx_dir=tmp_path / "not-installed"))

    def offline():
        raise OSError("URL fetch failure\non a second line")

    monkeypatch.setattr(getattr(keras.datasets, dataset.keras_loader), "load_data", offline)
    assert_one_line(lambda: load_raw_dataset(name), dataset.title,
                    f"keras.datasets.{dataset.keras_loader}.load_data() failed",
                    f"URL fetch failure on a second line); offline, set {dataset.env_var}")


def _bad_npz(real, tmp):
    """(case, path, fragment the error must contain) for every kind of bad npz."""
    wrong_keys = {k: v for k, v in real.items() if k != "y_test"}
    wrong_shape = {**real, "x_test": real["x_test"][:9999]}
    wrong_dtype = {**real, "y_train": real["y_train"].astype(np.int64)}
    wrong_hash = {**real, "x_train": real["x_train"].copy()}
    wrong_hash["x_train"][0, 0, 0] ^= 1
    good = save(tmp / "good.npz", real)
    truncated = tmp / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:100_000])
    text = tmp / "text.npz"
    text.write_text("not a zip archive\n")
    return [
        ("missing", tmp / "nope.npz", "no such file"),
        ("not-npz", text, "not a readable npz"),
        ("truncated", truncated, "not a readable npz"),
        ("wrong-keys", save(tmp / "keys.npz", wrong_keys), "missing keys ['y_test']"),
        ("wrong-shape", save(tmp / "shape.npz", wrong_shape), "x_test has shape (9999, 28, 28)"),
        ("wrong-dtype", save(tmp / "dtype.npz", wrong_dtype), "y_train has dtype int64"),
        ("wrong-hash", save(tmp / "hash.npz", wrong_hash), "x_train sha256"),
    ]


@pytest.mark.parametrize("name", NAMES)
def test_every_bad_npz_gives_one_line_naming_dataset_file_and_problem(name, arrays_of, tmp_path):
    title = get_dataset(name).title
    for case, path, fragment in _bad_npz(arrays_of(name), tmp_path):
        load = load_raw if name == "mnist" else lambda p: load_raw_dataset(name, p)
        message = assert_one_line(lambda: load(path), title, path, fragment)
        if case == "wrong-hash":
            assert f"(not the {title} this suite checks)" in message


LABELS = IDX_FILES["y_test"]  # the file the bad folders spoil: the last one read


def _bad_labels(labels: np.ndarray):
    """(case, file name, content, fragment the error must contain) for every kind of bad IDX file."""
    good = idx_bytes(labels)
    tampered = labels.copy()
    tampered[0] ^= 1
    return [
        ("missing", LABELS, None, "[.gz]: no such file"),
        ("bad-magic", LABELS, idx_bytes(labels, magic=0x0803), "bad IDX magic 0x00000803, expected 0x00000801"),
        ("truncated", LABELS, good[:-10], "truncated: 9990 data bytes"),
        ("truncated-header", LABELS, good[:6], "truncated IDX header (6 bytes, needs 8)"),
        ("too-long", LABELS, good + b"\0", "longer than its header says"),
        ("wrong-shape", LABELS, idx_bytes(labels[:9999]), "y_test has shape (9999,), expected (10000,)"),
        ("tampered", LABELS, idx_bytes(tampered), "y_test sha256"),
        ("bad-gzip", f"{LABELS}.gz", gzip.compress(good)[:-100], "not a readable gzip file"),
        ("not-gzip", f"{LABELS}.gz", good, "not a readable gzip file"),
    ]


@pytest.fixture(scope="module")
def idx_folder_of(arrays_of, tmp_path_factory):
    """``idx_folder_of(name)``: a good plain IDX folder of the real ``name``, written once."""
    return lambda name: write_idx(tmp_path_factory.getbasetemp() / f"good-{name}", arrays_of(name), False)


@pytest.mark.parametrize("name", NAMES)
def test_every_bad_idx_folder_gives_one_line_naming_dataset_file_and_problem(name, arrays_of, idx_folder_of, tmp_path):
    good, title = idx_folder_of(name), get_dataset(name).title
    for case, file_name, content, fragment in _bad_labels(arrays_of(name)["y_test"]):
        folder = tmp_path / case
        folder.mkdir()
        for stem in IDX_FILES.values():
            if stem != LABELS:
                (folder / stem).symlink_to(good / stem)
        if content is not None:
            (folder / file_name).write_bytes(content)
        message = assert_one_line(lambda: load_raw_dataset(name, folder), title, folder / file_name, fragment)
        if case == "tampered":
            assert f"(not the {title} this suite checks)" in message


@pytest.mark.parametrize("call", [load_raw_dataset, dataset_sha256, load_dataset, get_dataset])
def test_an_unknown_dataset_is_one_line_listing_the_choices(call):
    with pytest.raises(DatasetError, match=r"^unknown dataset 'cifar10'; choices: fashion-mnist, mnist$"):
        call("cifar10")


def test_stratified_subset_keeps_class_shares_and_is_stable():
    labels = np.repeat(np.arange(10), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    picked = stratified_indices(labels, 12_000)
    assert picked.shape == (12_000,) and np.unique(picked).size == 12_000
    share = np.bincount(labels[picked], minlength=10) / 12_000
    np.testing.assert_allclose(share, np.bincount(labels) / labels.size, atol=1e-4)
    np.testing.assert_array_equal(picked, stratified_indices(labels, 12_000))


@pytest.mark.parametrize("size", [0, -1, 60_001])
def test_subset_size_out_of_range_is_refused(size):
    with pytest.raises(ValueError, match="subset size"):
        stratified_indices(np.zeros(60_000, dtype=np.int64), size)


def test_subset_keeps_the_test_set_whole_by_default(mnist_path):
    data = subset(load_mnist(mnist_path), 1_000)
    assert data.x_train.shape == (1_000, 784)
    assert data.x_test.shape == (10_000, 784)
