"""The Teams app package: manifest template, Swedish localization, icons, packaging."""
