"""Hassfest's ``quality_scale.yaml`` checks: rule names and their status form."""

from typing import Any

QUALITY_SCALE_RULES = frozenset(
    {
        # Bronze
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
        # Silver
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
        # Gold
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
        # Platinum
        "async-dependency",
        "inject-websession",
        "strict-typing",
    }
)


def check_quality_scale(data: Any) -> list[str]:
    """Check parsed ``quality_scale.yaml`` data: rule names and status forms."""
    if not isinstance(data, dict) or set(data) != {"rules"} or not isinstance(data["rules"], dict):
        return ["quality_scale.yaml must have a single top-level `rules:` mapping"]
    problems = []
    for rule, value in data["rules"].items():
        where = f"rules.{rule}"
        if rule not in QUALITY_SCALE_RULES:
            problems.append(f"{where}: unknown quality scale rule")
        if value in ("done", "todo"):
            continue
        if not isinstance(value, dict):
            problems.append(f"{where}: must be done, todo or {{status, comment}}, got {value!r}")
            continue
        if unknown := sorted(set(value) - {"status", "comment"}):
            problems.append(f"{where}: unknown keys {unknown}")
        status = value.get("status")
        if status not in ("done", "todo", "exempt"):
            problems.append(f"{where}.status must be done, todo or exempt, got {status!r}")
        comment = value.get("comment")
        if comment is not None and (not isinstance(comment, str) or not comment.strip()):
            problems.append(f"{where}.comment must be a non-empty string")
        if status == "exempt" and comment is None:
            problems.append(f"{where}: exempt rules need a comment")
    return problems
