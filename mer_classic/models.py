"""Model registry: name → pipeline factory and hyper-parameter grid.

Every model is an :class:`imblearn.pipeline.Pipeline`
``impute → scale → [SMOTE] → model`` so that imputation statistics, scaling and
over-sampling are learned inside each training fold only (imbalanced-learn's
pipeline applies samplers during ``fit`` and never during ``predict``).

Classification: ``svm``, ``dtree``, ``rf``, ``knn``, ``logreg``, ``gboost``, ``stacking``
(StackingClassifier over SVM, decision tree and random forest with a logistic
regression on top, as in the Spotify-mood project this toolkit descends from).
Regression: ``svr``, ``rf``, ``stacking``, ``ridge``, ``knn``, ``gboost``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imblearn.pipeline import Pipeline
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    StackingClassifier,
    StackingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier

from mer_classic._samplers import AdaptiveSMOTE
from mer_classic.exceptions import ParameterError

__all__ = [
    "AdaptiveSMOTE",
    "ModelSpec",
    "MODELS",
    "make_pipeline",
    "param_grid",
]


@dataclass(frozen=True)
class ModelSpec:
    """One registry entry.

    Attributes
    ----------
    name : str
        Registry name (the value of ``--model``).
    task : {'classify', 'regress'}
        What the model does.
    build : callable
        ``build(random_state) -> estimator`` (unfitted, no preprocessing).
    grid : dict
        Grid over the estimator's own parameters (no pipeline prefix).
    description : str
        One line for ``--help`` and the README.
    """

    name: str
    task: str
    build: Callable[[int], Any]
    grid: dict[str, list[Any]]
    description: str


SVM_GRID: dict[str, list[Any]] = {
    "C": [1, 10, 100, 1000],
    "gamma": [1, 0.1, 0.01, 0.001],
    "kernel": ["rbf"],
}


def _stacking_classifier(rs: int) -> StackingClassifier:
    return StackingClassifier(
        estimators=[
            ("svm", SVC(C=10, gamma="scale", random_state=rs)),
            ("dtree", DecisionTreeClassifier(max_depth=8, random_state=rs)),
            ("rf", RandomForestClassifier(n_estimators=100, random_state=rs, n_jobs=1)),
        ],
        final_estimator=LogisticRegression(max_iter=2000),
        cv=3,
        n_jobs=1,
    )


def _stacking_regressor(rs: int) -> StackingRegressor:
    return StackingRegressor(
        estimators=[
            ("svr", SVR(C=1.0, gamma="scale")),
            ("ridge", Ridge(alpha=1.0)),
            ("rf", RandomForestRegressor(n_estimators=100, random_state=rs, n_jobs=1)),
        ],
        final_estimator=RidgeCV(alphas=(0.1, 1.0, 10.0)),
        cv=3,
        n_jobs=1,
    )


#: gradient boosting's grid, sized for tables of hundreds of rows: 100 iterations
#: (the 300 of the old grid tripled the cost for no measurable gain on small tables)
#: and 4 candidates instead of 8
GBOOST_GRID = {"learning_rate": [0.05, 0.1], "max_leaf_nodes": [7, 15]}

_SPECS = [
    ModelSpec(
        "svm",
        "classify",
        lambda rs: SVC(random_state=rs),
        SVM_GRID,
        "RBF support vector machine (no probabilities: decision function)",
    ),
    ModelSpec(
        "dtree",
        "classify",
        lambda rs: DecisionTreeClassifier(random_state=rs),
        {
            "max_depth": [3, 5, 10, None],
            "min_samples_leaf": [1, 5],
            "criterion": ["gini", "entropy"],
        },
        "decision tree",
    ),
    ModelSpec(
        "rf",
        "classify",
        lambda rs: RandomForestClassifier(n_estimators=200, random_state=rs, n_jobs=1),
        {
            "max_depth": [None, 10],
            "max_features": ["sqrt", 0.3],
            "min_samples_leaf": [1, 3],
        },
        "random forest (200 trees)",
    ),
    ModelSpec(
        "knn",
        "classify",
        lambda rs: KNeighborsClassifier(),
        {"n_neighbors": [3, 5, 9, 15], "weights": ["uniform", "distance"]},
        "k-nearest neighbours",
    ),
    ModelSpec(
        "logreg",
        "classify",
        lambda rs: LogisticRegression(max_iter=5000, random_state=rs),
        {"C": [0.01, 0.1, 1, 10, 100]},
        "multinomial logistic regression",
    ),
    ModelSpec(
        "gboost",
        "classify",
        lambda rs: HistGradientBoostingClassifier(max_iter=100, random_state=rs),
        GBOOST_GRID,
        "histogram gradient boosting (100 iterations)",
    ),
    ModelSpec(
        "stacking",
        "classify",
        _stacking_classifier,
        {"svm__C": [1, 10, 100]},
        "stacking of SVM, decision tree and random forest, logistic regression on top",
    ),
    ModelSpec(
        "svr",
        "regress",
        lambda rs: SVR(),
        {
            "C": [0.1, 1, 10, 100],
            "gamma": [0.1, 0.01, 0.001, "scale"],
            "epsilon": [0.1],
            "kernel": ["rbf"],
        },
        "RBF support vector regression",
    ),
    ModelSpec(
        "rf",
        "regress",
        lambda rs: RandomForestRegressor(n_estimators=200, random_state=rs, n_jobs=1),
        {
            "max_depth": [None, 10],
            "max_features": [1.0, 0.3],
            "min_samples_leaf": [1, 3],
        },
        "random forest regression (200 trees)",
    ),
    ModelSpec(
        "stacking",
        "regress",
        _stacking_regressor,
        {"svr__C": [0.1, 1, 10]},
        "stacking of SVR, ridge and random forest, ridge on top",
    ),
    ModelSpec(
        "ridge",
        "regress",
        lambda rs: Ridge(),
        {"alpha": [0.1, 1, 10, 100, 1000]},
        "ridge regression",
    ),
    ModelSpec(
        "knn",
        "regress",
        lambda rs: KNeighborsRegressor(),
        {"n_neighbors": [3, 5, 9, 15], "weights": ["uniform", "distance"]},
        "k-nearest neighbours regression",
    ),
    ModelSpec(
        "gboost",
        "regress",
        lambda rs: HistGradientBoostingRegressor(max_iter=100, random_state=rs),
        GBOOST_GRID,
        "histogram gradient boosting regression (100 iterations)",
    ),
]

#: task → name → spec
MODELS: dict[str, dict[str, ModelSpec]] = {"classify": {}, "regress": {}}
for _spec in _SPECS:
    MODELS[_spec.task][_spec.name] = _spec


def model_names(task: str | None = None) -> list[str]:
    """Sorted registry names for one task, or for both.

    Examples
    --------
    >>> model_names("regress")
    ['gboost', 'knn', 'rf', 'ridge', 'stacking', 'svr']
    """
    if task is None:
        return sorted(set(MODELS["classify"]) | set(MODELS["regress"]))
    return sorted(MODELS[task])


def probabilistic_models() -> list[str]:
    """Classifiers whose fitted pipeline gives class probabilities (``predict_proba``).

    Examples
    --------
    >>> "svm" in probabilistic_models(), "logreg" in probabilistic_models()
    (False, True)
    """
    return [
        name
        for name in model_names("classify")
        if hasattr(MODELS["classify"][name].build(0), "predict_proba")
    ]


def get_spec(name: str, task: str) -> ModelSpec:
    """Return the registry entry or raise a ParameterError listing the valid names."""
    if task not in MODELS:
        raise ParameterError(f"task must be 'classify' or 'regress'; got {task!r}")
    try:
        return MODELS[task][name]
    except KeyError:
        other = "regress" if task == "classify" else "classify"
        hint = (
            f" ({name!r} is a {'regression' if other == 'regress' else 'classification'} "
            f"model: add --task {other})"
            if name in MODELS[other]
            else ""
        )
        raise ParameterError(
            f"unknown model {name!r} for task {task!r}; choose one of "
            f"{', '.join(model_names(task))}{hint}"
        ) from None


def _estimator_prefix(n_targets: int, task: str) -> str:
    return "model__estimator__" if task == "regress" and n_targets > 1 else "model__"


def make_pipeline(
    name: str,
    task: str = "classify",
    *,
    smote: bool = True,
    n_targets: int = 1,
    random_state: int = 42,
) -> Pipeline:
    """Build the unfitted pipeline ``impute → scale → [SMOTE] → model``.

    Parameters
    ----------
    name : str
        Registry name (see :data:`MODELS`).
    task : {'classify', 'regress'}, default='classify'
        Classification or regression.
    smote : bool, default=True
        Over-sample minority classes with :class:`~mer_classic.models.AdaptiveSMOTE`
        inside the training folds (classification only).
    n_targets : int, default=1
        Number of regression targets; more than one wraps the model in
        :class:`~sklearn.multioutput.MultiOutputRegressor` (one model per target).
    random_state : int, default=42
        Seed for every random component.

    Examples
    --------
    >>> [step for step, _ in make_pipeline("svm").steps]
    ['impute', 'scale', 'smote', 'model']
    """
    spec = get_spec(name, task)
    estimator = spec.build(random_state)
    if task == "regress" and n_targets > 1:
        estimator = MultiOutputRegressor(estimator)
    steps: list[tuple[str, Any]] = [
        ("impute", SimpleImputer(strategy="median")),
        ("scale", StandardScaler()),
    ]
    if task == "classify" and smote:
        steps.append(("smote", AdaptiveSMOTE(random_state=random_state)))
    steps.append(("model", estimator))
    return Pipeline(steps)


def param_grid(
    name: str, task: str = "classify", *, n_targets: int = 1
) -> dict[str, list[Any]]:
    """The model's grid with pipeline prefixes, ready for GridSearchCV.

    Examples
    --------
    >>> sorted(param_grid("svm"))
    ['model__C', 'model__gamma', 'model__kernel']
    """
    spec = get_spec(name, task)
    prefix = _estimator_prefix(n_targets, task)
    return {prefix + key: list(values) for key, values in spec.grid.items()}
