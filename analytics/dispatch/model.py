"""The dispatch model: department and category from text and place, with calibrated probabilities.

Each target (``department``, ``category_code``) is a multinomial naive Bayes
classifier over the features of :mod:`analytics.dispatch.features` — a linear
model in log space that trains in one pass over a million cases — whose scores
are turned into probabilities by temperature scaling fitted on the most recent
tenth of the training window (held out, in time order, so the confidence the desk
shows is the one observed on cases the classifier had not seen). Training is
deterministic: no random draws at all, and the seed only records the contract.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import scipy.optimize
import scipy.sparse as sp
import scipy.special
from sklearn.naive_bayes import MultinomialNB

from analytics.dispatch.features import Featurizer

TARGETS = ("department", "category_code")
MODEL_SUFFIX = ".dispatch.joblib"
META_SUFFIX = ".dispatch.json"
HOLDOUT_SHARE = 0.1
MIN_TRAIN_CASES = 20
MAX_TEMPERATURE_CASES = 20_000  # held-out cases the temperature is fitted on
FORMAT_VERSION = 1


class ModelError(ValueError):
    """No model, a model of another database, or too little history to train one."""


@dataclass
class Classifier:
    """One target: the naive Bayes classifier and its fitted temperature."""

    nb: MultinomialNB
    temperature: float

    @property
    def classes(self) -> np.ndarray:
        return self.nb.classes_

    def scores(self, features) -> np.ndarray:
        """Joint log-likelihoods (``MultinomialNB.predict_joint_log_proba``) from a feature-major copy of the
        weights: scipy would otherwise copy the class-major matrix (classes × features) at every call."""
        weights = self.__dict__.get("_weights")
        if weights is None:
            weights = self.__dict__["_weights"] = np.ascontiguousarray(self.nb.feature_log_prob_.T)
        return np.asarray(features @ weights) + self.nb.class_log_prior_

    def proba(self, features) -> np.ndarray:
        """Calibrated class probabilities (rows sum to 1)."""
        return scipy.special.softmax(self.scores(features) / self.temperature, axis=1)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_weights"}  # rebuilt on first use


@dataclass
class DispatchModel:
    """Fitted features and one classifier per target, with its metadata (training range, counts, evaluation)."""

    featurizer: Featurizer
    classifiers: dict[str, Classifier]
    meta: dict = field(default_factory=dict)

    def proba(self, cases: pd.DataFrame) -> dict[str, np.ndarray]:
        """Per target, the probability of each class (columns in ``classifiers[t].classes`` order)."""
        features = self.featurizer.transform(cases)
        return {target: clf.proba(features) for target, clf in self.classifiers.items()}


def _temperature(scores: np.ndarray, truth_index: np.ndarray) -> float:
    """The softmax temperature minimising the log loss of ``scores`` (rows = cases) on known labels."""
    known = truth_index >= 0
    if known.sum() == 0:
        return 1.0
    s, idx = scores[known], truth_index[known]

    def loss(log_t: float) -> float:
        logp = scipy.special.log_softmax(s / np.exp(log_t), axis=1)
        return -float(logp[np.arange(len(idx)), idx].mean())

    result = scipy.optimize.minimize_scalar(loss, bounds=(-8.0, 12.0), method="bounded")
    return float(np.exp(result.x))


def _class_counts(features, codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Summed feature values per class (classes × features), by one sparse product: O(non-zeros)."""
    rows = features.shape[0]
    onehot = sp.csr_matrix((np.ones(rows, dtype=np.float64), (codes, np.arange(rows))), shape=(n_classes, rows))
    return np.asarray((onehot @ features).todense(), dtype=np.float64)


def _naive_bayes(classes: np.ndarray, counts: np.ndarray, class_count: np.ndarray, alpha: float) -> MultinomialNB:
    """A fitted :class:`~sklearn.naive_bayes.MultinomialNB` from summed counts (what its ``fit`` computes,
    without the dense label matrix that makes ``fit`` slow with hundreds of classes)."""
    nb = MultinomialNB(alpha=alpha)
    smoothed = counts + alpha
    nb.classes_, nb.n_features_in_ = classes, counts.shape[1]
    nb.class_count_, nb.feature_count_ = class_count, counts
    nb.class_log_prior_ = np.log(np.maximum(class_count, 1e-12)) - np.log(class_count.sum())
    nb.feature_log_prob_ = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
    return nb


def _fit_target(features, labels: np.ndarray, cut: int, alpha: float) -> Classifier:
    """Fit on the first ``cut`` cases, fit the temperature on the rest, then use the counts of all."""
    classes, codes = np.unique(labels, return_inverse=True)
    early = _class_counts(features[:cut], codes[:cut], classes.size)
    early_n = np.bincount(codes[:cut], minlength=classes.size).astype(np.float64)
    temperature = 1.0
    if cut < len(labels):
        held_out = Classifier(_naive_bayes(classes, early, early_n, alpha), 1.0)
        last = max(cut, len(labels) - MAX_TEMPERATURE_CASES)  # the most recent ones: one parameter needs few
        temperature = _temperature(held_out.scores(features[last:]), codes[last:])
        late = _class_counts(features[cut:], codes[cut:], classes.size)
        early, early_n = early + late, early_n + np.bincount(codes[cut:], minlength=classes.size)
    return Classifier(_naive_bayes(classes, early, early_n, alpha), temperature)


def train(cases: pd.DataFrame, seed: int = 42, alpha: float = 0.01) -> DispatchModel:
    """Train on ``cases`` (oldest first, as :func:`~analytics.dispatch.history.dispatched_history` returns them).

    Raises
    ------
    ModelError
        With fewer than :data:`MIN_TRAIN_CASES` cases.
    """
    if len(cases) < MIN_TRAIN_CASES:
        raise ModelError(f"too little history to train a dispatch model: {len(cases)} cases (need {MIN_TRAIN_CASES})")
    featurizer, features = Featurizer.fit(cases)
    cut = max(int(round(len(cases) * (1 - HOLDOUT_SHARE))), 1)
    classifiers = {}
    for target in TARGETS:
        labels = cases[target].astype(str).to_numpy()
        classifiers[target] = _fit_target(features, labels, cut, alpha)
    reported = pd.to_datetime(cases["reported_at"])
    meta = {
        "format_version": FORMAT_VERSION,
        "seed": int(seed),
        "alpha": alpha,
        "trained_at": dt.datetime.now().isoformat(timespec="seconds"),
        "train_start": reported.min().isoformat(),
        "train_end": reported.max().isoformat(),
        "n_train": len(cases),
        "n_departments": int(classifiers["department"].classes.size),
        "n_categories": int(classifiers["category_code"].classes.size),
        "temperatures": {t: round(c.temperature, 6) for t, c in classifiers.items()},
    }
    return DispatchModel(featurizer, classifiers, meta)


def model_paths(db_path: str | os.PathLike) -> tuple[Path, Path]:
    """The model file and its metadata file beside the database (``city.duckdb`` → ``city.dispatch.joblib``)."""
    db = Path(db_path)
    stem = db.with_suffix("") if db.suffix else db
    return Path(f"{stem}{MODEL_SUFFIX}"), Path(f"{stem}{META_SUFFIX}")


def save(model: DispatchModel, db_path: str | os.PathLike) -> Path:
    """Write the model and its metadata (JSON, readable without loading the model) atomically."""
    model_file, meta_file = model_paths(db_path)
    for path, write in (
        (model_file, lambda p: joblib.dump(model, p, compress=3)),
        (meta_file, lambda p: Path(p).write_text(json.dumps(model.meta, ensure_ascii=False, indent=2))),
    ):
        temporary = Path(f"{path}.tmp-{os.getpid()}")
        try:
            write(temporary)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    return model_file


def load(db_path: str | os.PathLike) -> DispatchModel:
    """The model stored beside the database; :class:`ModelError` when there is none or it is unreadable."""
    model_file, _ = model_paths(db_path)
    if not model_file.exists():
        raise ModelError(f"no dispatch model beside {db_path}: run `python -m analytics dispatch train`")
    try:
        model = joblib.load(model_file)
    except Exception as exc:  # a truncated or foreign file: say so, never a traceback
        raise ModelError(f"the dispatch model {model_file} cannot be read ({exc}); retrain it") from None
    if not isinstance(model, DispatchModel) or model.meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"the dispatch model {model_file} is of another version; retrain it")
    return model
