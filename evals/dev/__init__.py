"""The dev set: hand-written phrasing families, split by family into train and test."""
