"""Speech forced-aligner model pipeline for the STM32H743 firmware (see README.md).

Modules use relative imports when imported as the package ``firmware.model`` and flat imports
when run as scripts from this directory (``python corpus.py ...``).
"""
