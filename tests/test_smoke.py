def test_about_needs_no_credentials(client):
    response = client.get("/xapi/about")
    assert response.status_code == 200
