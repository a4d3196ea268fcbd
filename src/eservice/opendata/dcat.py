"""The DCAT-AP.de 3.0 catalogue of eservice's open data, built as an RDF graph with rdflib.

Two datasets: the public reports (distributions: GeoJSON, and the OGC API as a data service)
and the processing-time statistics (CSV, JSON). Names are the standard's (dcat, dct, dcatde,
vcard, foaf); controlled vocabularies are those DCAT-AP.de 3.0 requires (EU languages,
data themes, file types, frequencies; dcat-ap.de licences and political geocoding).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from eservice.core.config import Settings

DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
DCATAP = Namespace("http://data.europa.eu/r5r#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
LANGUAGES = (URIRef(EU + "language/DEU"), URIRef(EU + "language/ENG"))
THEME_GOVERNMENT = URIRef(EU + "data-theme/GOVE")
THEME_REGIONS = URIRef(EU + "data-theme/REGI")
FILE_TYPES = {name: URIRef(EU + "file-type/" + name) for name in ("GEOJSON", "CSV", "JSON")}
CONTINUOUS = URIRef(EU + "frequency/CONT")
LICENSES = "http://dcat-ap.de/def/licenses/"
REGIONAL_KEY = "http://dcat-ap.de/def/politicalGeocoding/regionalKey/"
MUNICIPALITY_LEVEL = URIRef("http://dcat-ap.de/def/politicalGeocoding/Level/municipality")
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
OGC_FEATURES_CORE = URIRef("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core")


@dataclass(frozen=True)
class CatalogFacts:
    """What the catalogue states that comes from the data rather than the settings."""

    reports_box: tuple[float, float, float, float] | None  # west, south, east, north
    reports_first: datetime | None
    reports_last: datetime | None
    statistics_first: datetime | None
    statistics_refreshed: datetime | None


def _texts(graph: Graph, subject: URIRef, predicate: URIRef, de: str, en: str) -> None:
    graph.add((subject, predicate, Literal(de, lang="de")))
    graph.add((subject, predicate, Literal(en, lang="en")))


def _moment(value: datetime) -> Literal:
    return Literal(value.replace(microsecond=0).isoformat(), datatype=XSD.dateTime)


class CatalogBuilder:
    """Builds the graph for one base URL and settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base = settings.public_url.rstrip("/")
        self.graph = Graph()
        for prefix, namespace in (
            ("dcat", DCAT),
            ("dct", DCTERMS),
            ("foaf", FOAF),
            ("vcard", VCARD),
            ("dcatde", DCATDE),
            ("dcatap", DCATAP),
            ("locn", LOCN),
            ("gsp", GSP),
            ("skos", SKOS),
        ):
            self.graph.bind(prefix, namespace)
        self.catalog = URIRef(f"{self.base}/open-data/catalog")
        self.publisher = URIRef(settings.open_data_publisher_url)
        self.license = URIRef(LICENSES + settings.open_data_license)
        self.regional_key = URIRef(REGIONAL_KEY + settings.open_data_regional_key)

    def build(self, facts: CatalogFacts) -> Graph:
        g, city = self.graph, self.settings.open_data_city
        g.add((self.catalog, RDF.type, DCAT.Catalog))
        _texts(
            g,
            self.catalog,
            DCTERMS.title,
            f"Offene Daten der Online-Dienste - {city}",
            f"Open data of the online services - {city}",
        )
        _texts(
            g,
            self.catalog,
            DCTERMS.description,
            f"Meldungen im öffentlichen Raum und Bearbeitungszeiten der Verwaltung von {city}.",
            f"Public reports and administrative processing times of {city}.",
        )
        g.add((self.catalog, DCTERMS.publisher, self.publisher))
        g.add((self.catalog, FOAF.homepage, URIRef(f"{self.base}/")))
        g.add((self.catalog, DCTERMS.license, self.license))
        g.add((self.catalog, DCTERMS.spatial, self.regional_key))
        for language in LANGUAGES:
            g.add((self.catalog, DCTERMS.language, language))
        modified = [m for m in (facts.reports_last, facts.statistics_refreshed) if m]
        if modified:
            g.add((self.catalog, DCTERMS.modified, _moment(max(modified))))
        self._publisher()
        self._reports(facts)
        self._statistics(facts)
        return g

    def _publisher(self) -> None:
        g = self.graph
        g.add((self.publisher, RDF.type, FOAF.Organization))
        g.add((self.publisher, RDF.type, FOAF.Agent))
        g.add((self.publisher, FOAF.name, Literal(self.settings.open_data_publisher, lang="de")))
        g.add((self.publisher, FOAF.homepage, self.publisher))

    def _contact(self) -> BNode:
        g, contact = self.graph, BNode()
        g.add((contact, RDF.type, VCARD.Organization))
        g.add((contact, VCARD.fn, Literal(self.settings.open_data_publisher)))
        g.add((contact, VCARD.hasEmail, URIRef("mailto:" + self.settings.open_data_contact_email)))
        return contact

    def _dataset(self, name: str, title: tuple[str, str], about: tuple[str, str]) -> URIRef:
        g = self.graph
        dataset = URIRef(f"{self.catalog}#{name}")
        g.add((self.catalog, DCAT.dataset, dataset))
        g.add((dataset, RDF.type, DCAT.Dataset))
        _texts(g, dataset, DCTERMS.title, *title)
        _texts(g, dataset, DCTERMS.description, *about)
        g.add((dataset, DCTERMS.identifier, Literal(str(dataset))))
        g.add((dataset, DCTERMS.publisher, self.publisher))
        g.add((dataset, DCAT.contactPoint, self._contact()))
        g.add((dataset, DCAT.theme, THEME_GOVERNMENT))
        g.add((dataset, DCAT.theme, THEME_REGIONS))
        g.add((dataset, DCTERMS.spatial, self.regional_key))
        g.add((dataset, DCATDE.politicalGeocodingLevelURI, MUNICIPALITY_LEVEL))
        g.add((dataset, DCTERMS.accrualPeriodicity, CONTINUOUS))
        for language in LANGUAGES:
            g.add((dataset, DCTERMS.language, language))
        return dataset

    def _temporal(self, dataset: URIRef, first: datetime | None, last: datetime | None) -> None:
        if first is None:
            return
        g, period = self.graph, BNode()
        g.add((dataset, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, _moment(first)))
        if last is not None:
            g.add((period, DCAT.endDate, _moment(last)))

    def _distribution(
        self,
        dataset: URIRef,
        name: str,
        *,
        url: str,
        file_type: str,
        media_type: str,
        title: tuple[str, str],
    ) -> URIRef:
        g = self.graph
        distribution = URIRef(f"{self.catalog}#{name}")
        g.add((dataset, DCAT.distribution, distribution))
        g.add((distribution, RDF.type, DCAT.Distribution))
        _texts(g, distribution, DCTERMS.title, *title)
        g.add((distribution, DCAT.accessURL, URIRef(url)))
        g.add((distribution, DCAT.downloadURL, URIRef(url)))
        g.add((distribution, DCTERMS.format, FILE_TYPES[file_type]))
        g.add((distribution, DCAT.mediaType, URIRef(MEDIA_TYPES + media_type)))
        g.add((distribution, DCTERMS.license, self.license))
        if self.settings.open_data_license.startswith("dl-by-"):
            attribution = f"© {self.settings.open_data_publisher}"
            g.add((distribution, DCATDE.licenseAttributionByText, Literal(attribution)))
        return distribution

    def _reports(self, facts: CatalogFacts) -> None:
        g, city = self.graph, self.settings.open_data_city
        dataset = self._dataset(
            "public-reports",
            (f"Meldungen im öffentlichen Raum - {city}", f"Public reports - {city}"),
            (
                "Gemeldete Schäden und Mängel im öffentlichen Raum (z. B. Straßenschäden) mit "
                "Ort, Bearbeitungsstand und Zeitpunkten, ohne personenbezogene Daten.",
                "Reported damage and defects in public space (e.g. road damage) with their "
                "location, progress and times, without personal data.",
            ),
        )
        for keyword in ("Meldungen", "Straßenschäden", "Mängelmelder", "Open311"):
            g.add((dataset, DCAT.keyword, Literal(keyword, lang="de")))
        for keyword in ("public reports", "road damage"):
            g.add((dataset, DCAT.keyword, Literal(keyword, lang="en")))
        if facts.reports_last is not None:
            g.add((dataset, DCTERMS.modified, _moment(facts.reports_last)))
        self._temporal(dataset, facts.reports_first, facts.reports_last)
        if facts.reports_box is not None:
            west, south, east, north = facts.reports_box
            location = BNode()
            g.add((dataset, DCTERMS.spatial, location))
            g.add((location, RDF.type, DCTERMS.Location))
            polygon = (
                f"POLYGON(({west} {south}, {east} {south}, {east} {north}, "
                f"{west} {north}, {west} {south}))"
            )
            g.add((location, DCAT.bbox, Literal(polygon, datatype=GSP.wktLiteral)))
        items = f"{self.base}/ogc/collections/public-reports/items"
        self._distribution(
            dataset,
            "public-reports-geojson",
            url=f"{items}?f=json&limit=1000",
            file_type="GEOJSON",
            media_type="application/geo+json",
            title=("Meldungen als GeoJSON", "Public reports as GeoJSON"),
        )
        api = self._distribution(
            dataset,
            "public-reports-ogcapi",
            url=f"{self.base}/ogc",
            file_type="GEOJSON",
            media_type="application/geo+json",
            title=("OGC API - Features", "OGC API - Features"),
        )
        service = URIRef(f"{self.catalog}#ogcapi-features")
        g.add((api, DCAT.accessService, service))
        g.add((service, RDF.type, DCAT.DataService))
        _texts(g, service, DCTERMS.title, "OGC API - Features", "OGC API - Features")
        g.add((service, DCAT.endpointURL, URIRef(f"{self.base}/ogc")))
        g.add((service, DCAT.endpointDescription, URIRef(f"{self.base}/ogc/api")))
        g.add((service, DCAT.servesDataset, dataset))
        g.add((service, DCTERMS.conformsTo, OGC_FEATURES_CORE))
        g.add((service, DCTERMS.publisher, self.publisher))
        g.add((service, DCTERMS.license, self.license))

    def _statistics(self, facts: CatalogFacts) -> None:
        g, city = self.graph, self.settings.open_data_city
        dataset = self._dataset(
            "processing-times",
            (
                f"Bearbeitungszeiten der Online-Dienste - {city}",
                f"Processing times of the online services - {city}",
            ),
            (
                "Je Verwaltungsleistung und Monat: eingegangene und abgeschlossene Anträge, "
                "Median und 90. Perzentil der Bearbeitungsdauer in Arbeitstagen, Anteil "
                f"fristgerecht erledigter und aktuell überfälliger Anträge. Werte aus weniger als "
                f"{self.settings.open_data_min_count} Anträgen werden nicht veröffentlicht.",
                "Per administrative service and month: requests filed and closed, median and "
                "90th percentile of business days to close, share closed within the deadline "
                "and share overdue now. Figures drawn from fewer than "
                f"{self.settings.open_data_min_count} requests are withheld.",
            ),
        )
        for keyword in ("Bearbeitungszeiten", "Verwaltung", "Statistik"):
            g.add((dataset, DCAT.keyword, Literal(keyword, lang="de")))
        for keyword in ("processing times", "statistics"):
            g.add((dataset, DCAT.keyword, Literal(keyword, lang="en")))
        if facts.statistics_refreshed is not None:
            g.add((dataset, DCTERMS.modified, _moment(facts.statistics_refreshed)))
        self._temporal(dataset, facts.statistics_first, facts.statistics_refreshed)
        url = f"{self.base}/api/v1/open-data/statistics"
        self._distribution(
            dataset,
            "processing-times-csv",
            url=f"{url}?format=csv",
            file_type="CSV",
            media_type="text/csv",
            title=("Bearbeitungszeiten als CSV", "Processing times as CSV"),
        )
        self._distribution(
            dataset,
            "processing-times-json",
            url=f"{url}?format=json",
            file_type="JSON",
            media_type="application/json",
            title=("Bearbeitungszeiten als JSON", "Processing times as JSON"),
        )


def catalog_graph(settings: Settings, facts: CatalogFacts) -> Graph:
    return CatalogBuilder(settings).build(facts)
