from ninja import NinjaAPI

api = NinjaAPI(title="Despatch", version="1")
