"""The MNIST loader: only the published arrays are accepted, and bad input gets one clear line."""

from __future__ import annotations

import numpy as np
import pytest

from fixtures.data import (
    ENV_VAR,
    EXPECTED,
    DatasetError,
    load_mnist,
    load_raw,
    stratified_indices,
    subset,
)


@pytest.fixture(scope="module")
def real(mnist_path):
    arrays, _ = load_raw(mnist_path)
    return arrays


def save(path, arrays):
    np.savez(path, **arrays)
    return path


def test_real_file_loads_and_matches_the_readme(real):
    assert real["y_train"][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(real["y_test"]).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_env_var_is_honoured(mnist_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(mnist_path))
    assert load_raw()[1] == str(mnist_path)


def test_preprocessing_is_the_articles(mnist_path):
    data = load_mnist(mnist_path)
    assert data.x_train.shape == (60000, 784) and data.x_train.dtype == np.float32
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert data.y_train.shape == (60000, 10)
    np.testing.assert_array_equal(data.y_train.argmax(1), data.labels_train)
    assert data.x_test.shape == (10000, 784) and data.y_test.shape == (10000, 10)


def _bad_inputs(real, tmp):
    """(name, path, fragment the error must contain) for every kind of bad file."""
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


def test_every_bad_input_gives_one_line_naming_file_and_problem(real, tmp_path):
    for name, path, fragment in _bad_inputs(real, tmp_path):
        with pytest.raises(DatasetError) as info:
            load_raw(path)
        message = str(info.value)
        assert fragment in message, name
        assert str(path) in message, name
        assert "\n" not in message, name


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


def test_expected_hashes_cover_all_four_arrays():
    assert sorted(EXPECTED) == ["x_test", "x_train", "y_test", "y_train"]
