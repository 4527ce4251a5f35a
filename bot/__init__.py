"""ExpertBot: answers readers' questions from an expert's vetted answers, and brings every
question it cannot answer to the expert."""

__version__ = "0.1.0"
