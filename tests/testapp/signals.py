from django.dispatch import Signal

article_published = Signal()
robust_signal = Signal()
