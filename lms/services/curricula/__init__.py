"""The curricula as data: reading and checking the files (`files`, `lessons`, `yamlfile`,
`lesson_markdown`) and importing a checked tree into the database (`importer`)."""

from lms.services.curricula.files import load_tree
from lms.services.curricula.importer import CurriculumInvalid, ImportReport, import_tree

__all__ = ["CurriculumInvalid", "ImportReport", "import_tree", "load_tree"]
