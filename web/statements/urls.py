from django.urls import path

from web.statements import views

app_name = "statements"

urlpatterns = [
    path("", views.statement_list, name="list"),
    path("upload/", views.statement_upload, name="upload"),
    path("<int:pk>/", views.statement_detail, name="detail"),
    path("lines/<int:pk>/match/", views.line_match, name="match"),
    path("lines/<int:pk>/dismiss/", views.line_dismiss, name="dismiss"),
]
