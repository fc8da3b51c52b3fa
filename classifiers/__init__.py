"""The app-ban classifier: scikit-learn only (of the service it imports only monitor.core).

- ``build_pipeline(kind, random_state)``: the one factory of unfitted pipelines;
- ``document_text(title, text)``: the one way an item becomes the model's input;
- ``ModelArtifact``: a fitted pipeline with metadata; ``predict``, ``save``, ``load`` (skops).
"""

from classifiers.artifact import ModelArtifact, ModelMetadata, Prediction
from classifiers.pipeline import KINDS, build_pipeline
from classifiers.text import document_text

__all__ = [
    "KINDS",
    "ModelArtifact",
    "ModelMetadata",
    "Prediction",
    "build_pipeline",
    "document_text",
]
