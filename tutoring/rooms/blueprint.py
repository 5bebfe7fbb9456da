"""The rooms blueprint; ``views`` attaches its routes to it."""
from flask import Blueprint

bp = Blueprint("rooms", __name__)
