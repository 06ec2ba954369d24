"""Operations work beside the service: the monthly report (`python -m app.ops.report`)."""
