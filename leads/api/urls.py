app_name = "api"

# The intake helper fills this in (leads, bulk, activities, jobs).
urlpatterns: list = []
