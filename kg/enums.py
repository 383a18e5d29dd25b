"""Closed vocabularies, generated from the ontology by ``python -m kg.enum_source``: do not edit.

Each class lists the ``ck:enumName`` values of one ontology class (see :mod:`kg.enum_source`).
"""

from enum import StrEnum

__all__ = [
    "Applicability",
    "ClaimType",
    "ConfidenceLevel",
    "Perspective",
    "Pump",
    "RelationKind",
    "Route",
    "Severity",
    "SubstanceCategory",
]


class ClaimType(StrEnum):
    """ck:ClaimType: Professional, facility outpatient, facility inpatient or DME supplier claim."""

    PROFESSIONAL = "PROFESSIONAL"
    FACILITY_OUTPATIENT = "FACILITY_OUTPATIENT"
    FACILITY_INPATIENT = "FACILITY_INPATIENT"
    DME_SUPPLIER = "DME_SUPPLIER"


class Severity(StrEnum):
    """ck:SeverityLevel: How serious a finding is; ck:enumName gives the API value."""

    ERROR = "ERROR"
    WARNING = "WARNING"
    INFO = "INFO"


class RelationKind(StrEnum):
    """ck:Relationship: An n-ary node relating two codes, carrying dates, indicators and sources."""

    ADD_ON_OF = "ADD_ON_OF"
    MUTUALLY_EXCLUSIVE_WITH = "MUTUALLY_EXCLUSIVE_WITH"
    BUNDLED_INTO = "BUNDLED_INTO"
    PACKAGED_UNDER = "PACKAGED_UNDER"
    ALTERNATIVE_TO = "ALTERNATIVE_TO"


class Perspective(StrEnum):
    """ck:Perspective: Whose claim is being coded: the facility (hospital outpatient) or the
    physician (office)."""

    PHYSICIAN = "PHYSICIAN"
    FACILITY = "FACILITY"


class Route(StrEnum):
    """ck:AdministrationRoute: How the record says it was given: IV infusion, IV push, subcutaneous
    infusion, injection."""

    IV_INFUSION = "IV_INFUSION"
    IV_PUSH = "IV_PUSH"
    SUBCUTANEOUS_INFUSION = "SUBCUTANEOUS_INFUSION"
    INJECTION = "INJECTION"
    INTRA_ARTERIAL = "INTRA_ARTERIAL"


class SubstanceCategory(StrEnum):
    """ck:SubstanceCategory: What was given: chemotherapy or complex biologic, a therapeutic drug,
    or hydration fluid."""

    CHEMOTHERAPY = "CHEMOTHERAPY"
    THERAPEUTIC = "THERAPEUTIC"
    HYDRATION = "HYDRATION"


class Pump(StrEnum):
    """ck:Pump: The pump a prolonged infusion runs on (portable, implantable, portable supplied by
    the practice); ck:enumName gives the API value."""

    PORTABLE = "PORTABLE"
    IMPLANTABLE = "IMPLANTABLE"
    PRACTICE_SUPPLIED = "PRACTICE_SUPPLIED"


class ConfidenceLevel(StrEnum):
    """ck:Confidence: How strongly a source supports its facts."""

    CMS_FILE = "CMS_FILE"
    CPT_GUIDELINE = "CPT_GUIDELINE"
    SECONDARY = "SECONDARY"


class Applicability(StrEnum):
    """ck:Applicability: modifier applicability"""

    NOT_APPLICABLE = "NOT_APPLICABLE"
    ALLOWED = "ALLOWED"
    ONLY_ON = "ONLY_ON"
