"""Typed dialogs: each is a ModalScreen[T] that always dismisses with a value (Escape included)."""
