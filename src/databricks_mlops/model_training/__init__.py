"""Model training: estimator by import path, MLflow 3 tracking, evaluation gates, registry.

::

    from databricks_mlops.model_training import ModelTrainer
    trainer = ModelTrainer(config)                       # a TrainingConfig
    run = trainer.train_from_frame(raw_df, feature_state) # checks, split, fit, log
    verdict = trainer.evaluate(run)                       # thresholds + champion
    version = trainer.register(run)                       # alias "challenger"

The logged model (``run.model_uri``, then ``models:/NAME@challenger``) takes raw
feature columns: it carries the fitted feature state and applies it before the
estimator. Stage names map to aliases: Staging -> challenger, Production -> champion.
Importing this package is light; MLflow, scikit-learn and Optuna load when used.
"""

from databricks_mlops.model_training.errors import (
    EvaluationGateError,
    ModelTrainingError,
    RegistryError,
    TrackingError,
    TrainingError,
)
from databricks_mlops.model_training.gates import GateCheck, GateVerdict, evaluate_gates
from databricks_mlops.model_training.model_registry import (
    CHALLENGER,
    CHAMPION,
    STAGE_ALIASES,
    alias_for_stage,
)
from databricks_mlops.model_training.sample_model import train_sample_churn_model
from databricks_mlops.model_training.trainer import ModelTrainer, PreparedTraining, TrainingRun

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "STAGE_ALIASES",
    "EvaluationGateError",
    "GateCheck",
    "GateVerdict",
    "ModelTrainer",
    "ModelTrainingError",
    "PreparedTraining",
    "RegistryError",
    "TrackingError",
    "TrainingError",
    "TrainingRun",
    "alias_for_stage",
    "evaluate_gates",
    "train_sample_churn_model",
]
