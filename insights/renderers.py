"""GraphML 1.0, the graph format networkx, Gephi and yEd open: /insights/graph/ as a file."""

import re
from decimal import Decimal
from xml.etree import ElementTree

from rest_framework.renderers import BaseRenderer

GRAPHML_NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
GRAPHML_SCHEMA = "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd"
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def graphml_type(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float | Decimal):
        return "double"
    return "string"


def graphml_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ";".join(str(item) for item in value)
    # XML 1.0 cannot carry most control characters, even escaped; a stray one in a
    # name would make the whole document unreadable.
    return NOT_XML.sub("", str(value))


def is_empty(value):
    # GraphML has no null: an unknown or empty value is simply not written.
    return value is None or value == "" or value == []


class GraphMLRenderer(BaseRenderer):
    """`?format=graphml` or `Accept: application/graphml+xml`: the graph as GraphML 1.0.

    Renders {"nodes": [{"id", ...}], "edges": [{"source", "target", ...}]}: every other
    field becomes a <data> element under a <key> declared with its name and type
    (boolean, int, double, else string), lists are joined with ';', and null or empty
    values are left out.
    """

    media_type = "application/graphml+xml"
    format = "graphml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        root = ElementTree.Element(
            "graphml",
            {
                "xmlns": GRAPHML_NAMESPACE,
                "xmlns:xsi": XSI_NAMESPACE,
                "xsi:schemaLocation": f"{GRAPHML_NAMESPACE} {GRAPHML_SCHEMA}",
            },
        )
        node_keys = self.declare_keys(root, "node", data["nodes"], ("id",))
        edge_keys = self.declare_keys(root, "edge", data["edges"], ("source", "target"))
        graph = ElementTree.SubElement(root, "graph", id="ecosystem", edgedefault="directed")
        for node in data["nodes"]:
            element = ElementTree.SubElement(graph, "node", id=node["id"])
            self.add_data(element, node, node_keys)
        for link in data["edges"]:
            element = ElementTree.SubElement(
                graph, "edge", source=link["source"], target=link["target"]
            )
            self.add_data(element, link, edge_keys)
        ElementTree.indent(root)
        return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)

    @staticmethod
    def declare_keys(root, domain, items, structural):
        """<key> elements for the attributes of `items`; returns {attribute: key id}."""
        types = {}  # in the order the fields first appear
        for item in items:
            for name, value in item.items():
                if name not in structural:
                    found = types.setdefault(name, set())
                    if not is_empty(value):
                        found.add(graphml_type(value))
        keys = {}
        for name, found in types.items():
            if not found:
                continue
            if len(found) == 1:
                (attr_type,) = found
            else:
                attr_type = "double" if found == {"int", "double"} else "string"
            keys[name] = f"{domain}_{name}"
            ElementTree.SubElement(
                root,
                "key",
                {"id": keys[name], "for": domain, "attr.name": name, "attr.type": attr_type},
            )
        return keys

    @staticmethod
    def add_data(element, item, keys):
        for name, key in keys.items():
            value = item.get(name)
            if not is_empty(value):
                ElementTree.SubElement(element, "data", key=key).text = graphml_text(value)
