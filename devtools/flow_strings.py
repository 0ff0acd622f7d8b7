"""
Write the config/options/exceptions/issues parts of translations/{en,fr,de}.json.

Entity names live in the same files (``entity`` subtree); this script only
replaces the subtrees it owns, so both can be edited independently. Run:
``python -m devtools.flow_strings``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TRANSLATIONS = Path(__file__).parents[1] / "custom_components/energy_meters/translations"

PORT = {
    "en": (
        "Serial port",
        "The TIC dongle: a /dev/serial/by-id/… device, or socket://host:port (ser2net), rfc2217://host:port or an ESPHome serial proxy.",
    ),
    "fr": (
        "Port série",
        "Le module TIC : un périphérique /dev/serial/by-id/…, ou socket://hôte:port (ser2net), rfc2217://hôte:port ou un proxy série ESPHome.",
    ),
    "de": (
        "Serielle Schnittstelle",
        "Der TIC-Adapter: ein Gerät /dev/serial/by-id/… oder socket://host:port (ser2net), rfc2217://host:port oder ein ESPHome-Serial-Proxy.",
    ),
}

ERRORS = {
    "invalid_port": {
        "en": "This is not a serial port or a URL the integration can open.",
        "fr": "Ce n'est pas un port série ni une URL que l'intégration sait ouvrir.",
        "de": "Das ist keine serielle Schnittstelle und keine URL, die die Integration öffnen kann.",
    },
    "port_not_found": {
        "en": "The port does not exist. Is the dongle plugged in?",
        "fr": "Le port n'existe pas. Le module est-il branché ?",
        "de": "Die Schnittstelle existiert nicht. Ist der Adapter eingesteckt?",
    },
    "port_busy": {
        "en": "The port exists but cannot be opened: permission denied or used by another program.",
        "fr": "Le port existe mais ne peut pas être ouvert : accès refusé ou utilisé par un autre programme.",
        "de": "Die Schnittstelle existiert, lässt sich aber nicht öffnen: keine Berechtigung oder von einem anderen Programm belegt.",
    },
    "cannot_connect": {
        "en": "The port could not be opened (connection refused or timed out).",
        "fr": "Le port n'a pas pu être ouvert (connexion refusée ou délai dépassé).",
        "de": "Die Schnittstelle konnte nicht geöffnet werden (Verbindung abgelehnt oder Zeitüberschreitung).",
    },
    "no_data": {
        "en": "The port is silent: no data at 1200 or 9600 baud. Check the wiring to the I1/I2 terminals of the meter.",
        "fr": "Le port est muet : aucune donnée à 1200 ni à 9600 bauds. Vérifiez le câblage sur les bornes I1/I2 du compteur.",
        "de": "Die Schnittstelle ist stumm: keine Daten bei 1200 oder 9600 Baud. Prüfen Sie die Verdrahtung an den Klemmen I1/I2 des Zählers.",
    },
    "not_tic": {
        "en": "Data arrives but no valid TIC frame was found at 1200 or 9600 baud. Check the dongle's speed settings or that this is the TIC port.",
        "fr": "Des données arrivent mais aucune trame TIC valide à 1200 ni à 9600 bauds. Vérifiez la vitesse du module ou qu'il s'agit bien du port TIC.",
        "de": "Es kommen Daten an, aber bei 1200 und 9600 Baud wurde kein gültiger TIC-Rahmen gefunden. Prüfen Sie die Geschwindigkeit des Adapters oder ob es der TIC-Anschluss ist.",
    },
    "wrong_meter": {
        "en": "This port carries a different meter. Reconfigure only moves the same meter; add the other meter as a new entry.",
        "fr": "Ce port est relié à un autre compteur. La reconfiguration ne déplace que le même compteur ; ajoutez l'autre compteur comme nouvelle entrée.",
        "de": "An dieser Schnittstelle hängt ein anderer Zähler. Die Neukonfiguration verschiebt nur denselben Zähler; fügen Sie den anderen Zähler als neuen Eintrag hinzu.",
    },
    "unknown": {
        "en": "Unexpected error, see the logs.",
        "fr": "Erreur inattendue, voir les journaux.",
        "de": "Unerwarteter Fehler, siehe Protokoll.",
    },
}

ABORTS = {
    "already_configured": {
        "en": "This meter is already configured.",
        "fr": "Ce compteur est déjà configuré.",
        "de": "Dieser Zähler ist bereits eingerichtet.",
    },
    "reconfigure_successful": {
        "en": "The meter now uses the new port.",
        "fr": "Le compteur utilise maintenant le nouveau port.",
        "de": "Der Zähler verwendet jetzt die neue Schnittstelle.",
    },
}

TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "flow_title": "{name}",
        "user": ("Add a meter", "Which kind of meter do you want to read?"),
        "menu": {"linky": "Linky (TIC, France)"},
        "linky": (
            "Linky TIC",
            "Choose the port of your TIC dongle. The integration listens at 1200 and 9600 baud for a few seconds and detects the mode (historique or standard), the phases and the producer status from the frames.",
        ),
        "usb_confirm": (
            "TIC dongle found",
            "A TIC dongle was found on {port}. Read the meter behind it?",
        ),
        "reconfigure": (
            "Change the port of meter {serial}",
            "Choose the new port. The meter found there must be the same one.",
        ),
        "options": (
            "Update policy",
            "How often values may be written to Home Assistant. Alarms are always written at once.",
        ),
        "counter": (
            "Counters and slow values (s)",
            "Energy indexes and other slow values are written when they change, at most this often.",
        ),
        "power": ("Power and current (s)", "Power and current are written at most this often."),
        "exceptions": {
            "no_data": "No valid TIC frame from {port}",
            "port_not_found": "The port {port} does not exist",
            "cannot_connect": "Cannot open {port}: {error}",
            "connection_lost": "Connection to {port} lost: {error}",
        },
        "issue": (
            "Another meter on the port of {title}",
            "The port {port} now delivers frames from meter {found}, not from meter {expected}. Its data is ignored so that two meters' histories are not merged. If the meter was replaced, add the new meter as a new entry and remove the old one; if the dongle moved, reconfigure the entries so each points to its meter.",
        ),
    },
    "fr": {
        "flow_title": "{name}",
        "user": ("Ajouter un compteur", "Quel type de compteur voulez-vous lire ?"),
        "menu": {"linky": "Linky (TIC, France)"},
        "linky": (
            "Linky TIC",
            "Choisissez le port de votre module TIC. L'intégration écoute quelques secondes à 1200 et 9600 bauds et détecte le mode (historique ou standard), les phases et le statut producteur à partir des trames.",
        ),
        "usb_confirm": (
            "Module TIC détecté",
            "Un module TIC a été trouvé sur {port}. Lire le compteur qui y est relié ?",
        ),
        "reconfigure": (
            "Changer le port du compteur {serial}",
            "Choisissez le nouveau port. Le compteur qui s'y trouve doit être le même.",
        ),
        "options": (
            "Fréquence de mise à jour",
            "À quelle fréquence les valeurs peuvent être écrites dans Home Assistant. Les alarmes sont toujours écrites immédiatement.",
        ),
        "counter": (
            "Index et valeurs lentes (s)",
            "Les index d'énergie et autres valeurs lentes sont écrits quand ils changent, au plus à cet intervalle.",
        ),
        "power": (
            "Puissance et courant (s)",
            "La puissance et le courant sont écrits au plus à cet intervalle.",
        ),
        "exceptions": {
            "no_data": "Aucune trame TIC valide sur {port}",
            "port_not_found": "Le port {port} n'existe pas",
            "cannot_connect": "Impossible d'ouvrir {port} : {error}",
            "connection_lost": "Connexion à {port} perdue : {error}",
        },
        "issue": (
            "Un autre compteur sur le port de {title}",
            "Le port {port} transmet maintenant les trames du compteur {found} et non du compteur {expected}. Ces données sont ignorées pour ne pas mélanger l'historique de deux compteurs. Si le compteur a été remplacé, ajoutez le nouveau comme nouvelle entrée et supprimez l'ancien ; si le module a été déplacé, reconfigurez les entrées pour que chacune pointe vers son compteur.",
        ),
    },
    "de": {
        "flow_title": "{name}",
        "user": ("Zähler hinzufügen", "Welche Art von Zähler möchten Sie auslesen?"),
        "menu": {"linky": "Linky (TIC, Frankreich)"},
        "linky": (
            "Linky TIC",
            "Wählen Sie die Schnittstelle Ihres TIC-Adapters. Die Integration hört einige Sekunden bei 1200 und 9600 Baud mit und erkennt Modus (historique oder standard), Phasen und Erzeugerstatus aus den Rahmen.",
        ),
        "usb_confirm": (
            "TIC-Adapter gefunden",
            "An {port} wurde ein TIC-Adapter gefunden. Den angeschlossenen Zähler auslesen?",
        ),
        "reconfigure": (
            "Schnittstelle von Zähler {serial} ändern",
            "Wählen Sie die neue Schnittstelle. Der dort gefundene Zähler muss derselbe sein.",
        ),
        "options": (
            "Aktualisierungsrichtlinie",
            "Wie oft Werte in Home Assistant geschrieben werden dürfen. Alarme werden immer sofort geschrieben.",
        ),
        "counter": (
            "Zählerstände und langsame Werte (s)",
            "Energiezählerstände und andere langsame Werte werden bei Änderung geschrieben, höchstens in diesem Abstand.",
        ),
        "power": (
            "Leistung und Strom (s)",
            "Leistung und Strom werden höchstens in diesem Abstand geschrieben.",
        ),
        "exceptions": {
            "no_data": "Kein gültiger TIC-Rahmen von {port}",
            "port_not_found": "Die Schnittstelle {port} existiert nicht",
            "cannot_connect": "{port} kann nicht geöffnet werden: {error}",
            "connection_lost": "Verbindung zu {port} verloren: {error}",
        },
        "issue": (
            "Anderer Zähler an der Schnittstelle von {title}",
            "Die Schnittstelle {port} liefert jetzt Rahmen von Zähler {found} statt von Zähler {expected}. Diese Daten werden ignoriert, damit die Verläufe zweier Zähler nicht vermischt werden. Wurde der Zähler getauscht, fügen Sie den neuen als neuen Eintrag hinzu und entfernen Sie den alten; wurde der Adapter umgesteckt, konfigurieren Sie die Einträge neu.",
        ),
    },
}


def build(lang: str) -> dict[str, Any]:
    """Return the subtrees this script owns for ``lang``."""
    t = TEXT[lang]
    port_name, port_desc = PORT[lang]
    port_step = {
        "data": {"device": port_name},
        "data_description": {"device": port_desc},
    }
    return {
        "config": {
            "flow_title": t["flow_title"],
            "step": {
                "user": {
                    "title": t["user"][0],
                    "description": t["user"][1],
                    "menu_options": t["menu"],
                },
                "linky": {"title": t["linky"][0], "description": t["linky"][1], **port_step},
                "usb_confirm": {"title": t["usb_confirm"][0], "description": t["usb_confirm"][1]},
                "reconfigure": {
                    "title": t["reconfigure"][0],
                    "description": t["reconfigure"][1],
                    **port_step,
                },
            },
            "error": {key: text[lang] for key, text in ERRORS.items()},
            "abort": {key: text[lang] for key, text in ABORTS.items()},
        },
        "options": {
            "step": {
                "init": {
                    "title": t["options"][0],
                    "description": t["options"][1],
                    "data": {"counter_interval": t["counter"][0], "power_interval": t["power"][0]},
                    "data_description": {
                        "counter_interval": t["counter"][1],
                        "power_interval": t["power"][1],
                    },
                }
            }
        },
        "exceptions": {key: {"message": msg} for key, msg in t["exceptions"].items()},
        "issues": {"meter_replaced": {"title": t["issue"][0], "description": t["issue"][1]}},
    }


def main() -> None:
    """Merge the owned subtrees into each translation file."""
    TRANSLATIONS.mkdir(parents=True, exist_ok=True)
    for lang in TEXT:
        path = TRANSLATIONS / f"{lang}.json"
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        data.update(build(lang))
        order = ["config", "options", "entity", "exceptions", "issues"]
        data = {
            k: data[k] for k in sorted(data, key=lambda k: order.index(k) if k in order else 99)
        }
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
