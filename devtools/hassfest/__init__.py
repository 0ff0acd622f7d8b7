"""
Offline stand-ins for the hassfest and HACS checks.

Neither hassfest (it needs a Home Assistant core checkout) nor the HACS action
(a GitHub action) can run in our registry-only CI, so this package re-implements
what they check on our files.
``tests/test_hassfest_rules.py`` runs the checkers on the real files and
``tests/test_hassfest_checkers.py`` tests the checkers themselves.

Every checker is a plain function returning a list of problems (empty = fine)
and takes what it reads (the integration directory, parsed JSON, ...) as
arguments, so it can run on small in-memory or temporary inputs.

Sources mirrored (Home Assistant 2026.10.4 / core ``script/hassfest``), one module
per area:

* ``manifest``: hassfest ``manifest.py`` (custom-integration manifest schema, key
  order ``domain``, ``name``, then alphabetical, documentation URL, iot_class,
  version strategies) and ``homeassistant/loader.py`` (the runtime check that
  blocks a custom integration without a valid AwesomeVersion ``version``; we also
  run the real loader). Also ``usb.py`` / the manifest usb schema, plus our own
  rule: no bare generic USB-serial bridge VID:PID (FTDI, CP210x, CH340, PL2303)
  without a ``description`` glob or a product-specific ``manufacturer`` glob
  (``*ftdi*`` and the like do not count).
* ``imports``: hassfest ``dependencies.py``. Every ``homeassistant.components.X``
  imported outside a ``TYPE_CHECKING`` block must be allowed. X is allowed when it is:

  1. in manifest ``dependencies`` or ``after_dependencies``;
  2. an entity platform (``homeassistant.const.Platform``, e.g. sensor, binary_sensor);
     hassfest allows these because the entity component is loaded anyway;
  3. a component for which the integration ships ``X.py`` or an ``X/`` package
     (``diagnostics.py`` may import ``homeassistant.components.diagnostics``,
     ``repairs.py`` may import ``homeassistant.components.repairs``);
  4. one of the always-loaded core internals in ``ALWAYS_ALLOWED_COMPONENTS``
     (a deliberately small subset of hassfest's ``ALLOWED_USED_COMPONENTS``);
  5. a discovery integration implied by a manifest matcher
     (``homeassistant.requirements.DISCOVERY_INTEGRATIONS``, e.g. ``zeroconf``).

  ``recorder``, ``usb`` and ``energy`` are therefore only fine when listed.
* ``translations`` / ``icons``: hassfest ``translations.py`` / ``icons.py``, the
  schema and string rules applied to ``translations/en.json`` and ``icons.json``
  (no HTML, no URLs, no surrounding whitespace, valid translation keys,
  ``data_description`` keys within ``data``). Custom integrations cannot use
  ``strings.json`` or ``[%key:...%]`` references. Beyond hassfest: the three
  languages have identical key trees and the same placeholders per string;
  ``icons.json`` keys exist in ``en.json`` (binary-sensor ``on``/``off`` icon
  states need no translation: they are built in).
* ``quality_scale``: hassfest ``quality_scale.py``, rule names and
  ``done``/``todo``/``{status, comment}`` form.
* ``hacs`` / ``brand``: HACS ``validate.py``, the ``hacs.json`` keys, one
  integration, brand images.

Whether the code only asks for translation keys that exist is not checked here by
reading the code: ``tests/translations_check.py`` (a port of core's autouse
``check_translations`` fixture) watches flows, issues, exceptions and entities
while the whole test suite runs and fails a test on a missing key.

``common`` holds the shared helpers (paths, nested-dict walking, placeholders,
parsing a Python file).
"""
